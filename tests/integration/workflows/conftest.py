"""Fixtures: the second test app (tests/apps/workflow_app) on devhost with a virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevHost

APP = Path(__file__).resolve().parents[2] / "apps" / "workflow_app"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    with DevHost(APP, clock="virtual", data_dir=tmp_path_factory.mktemp("workflow_app")) as running:
        yield running


def scheduled(host: DevHost, instance_id: str, activity: str) -> list[float]:
    """Seconds after the instance started at which ``activity`` was scheduled (virtual clock)."""
    from datetime import datetime

    history = host.history(instance_id)
    start = datetime.fromisoformat(history[0]["Timestamp"].replace("Z", "+00:00"))
    return [
        (datetime.fromisoformat(e["Timestamp"].replace("Z", "+00:00")) - start).total_seconds()
        for e in history
        if e["EventType"] == 4 and e.get("Name") == activity
    ]


def run(host: DevHost, workflow: str, workflow_input: Any = None, **extra: Any) -> str:
    return host.start_orchestration(
        "workflow", {"workflow": workflow, "input": workflow_input, **extra}
    )
