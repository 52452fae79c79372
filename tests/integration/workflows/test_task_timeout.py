"""A task timeout on devhost: the activity is still running when its deadline passes."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from devhost.testing import DevHost

APP = Path(__file__).resolve().parents[2] / "apps" / "workflow_app"


def test_task_timeout_fires_while_the_activity_still_runs(tmp_path: Path) -> None:
    with DevHost(APP, clock="virtual", data_dir=tmp_path) as host:
        activities = sys.modules["workflow_app_activities"]
        activities.RELEASE.clear()
        try:
            started = host.now()
            iid = host.start_orchestration("workflow", {"workflow": "slow-task", "input": {}})
            host.wait_idle(timeout=2, raise_on_timeout=False)  # the activity is running
            host.advance(seconds=29, settle_timeout=1)
            assert host.status(iid)["runtimeStatus"] == "Running"
            host.advance(seconds=1, settle_timeout=1)
            status = host.wait_for(iid, timeout=10)
        finally:
            activities.RELEASE.set()
        output = status["output"]
        assert output["timedOut"] is True
        assert output["error"] == "Task.Timeout"
        assert output["at"].startswith((started + timedelta(seconds=30)).isoformat()[:19])
