"""An instance finishes on the definition it pinned at start, whatever happens on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from devhost.testing import DevHost
from wf_devhost import APP, scheduled


def test_changed_definition_does_not_change_a_waiting_instance(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("__pycache__", ".devhost"))
    definition_file = app / "workflows" / "approval-vote.json"
    with DevHost(app, clock="virtual", data_dir=tmp_path / "data") as host:
        request: dict[str, Any] = {
            "workflow": "approval-vote",
            "input": {"roles": ["Steward"], "sla": "PT48H"},
        }
        old = host.start_orchestration("workflow", request)
        host.wait_idle()
        pinned = host.status(old)["customStatus"]  # type: ignore[index]
        assert pinned["version"] == "1.0.0"

        # Edit the same version in place (escalation now +1h) and publish 1.1.0 (+2h).
        edited = json.loads(definition_file.read_text())
        edited["states"]["Extend"]["result"]["at.$"] = "addDuration($.state.deadline.at, 'PT1H')"
        definition_file.write_text(json.dumps(edited))
        newer = dict(edited, version="1.1.0")
        newer["states"] = json.loads(json.dumps(edited["states"]))
        newer["states"]["Extend"]["result"]["at.$"] = "addDuration($.state.deadline.at, 'PT2H')"
        (app / "workflows" / "approval-vote-1.1.0.json").write_text(json.dumps(newer))

        host.advance(duration="PT48H")
        assert scheduled(host, old, "escalate") == [48 * 3600]
        deadline = host.status(old)["customStatus"]["deadline"]  # type: ignore[index]
        assert _hours(pinned["deadline"], deadline) == 24  # the pinned +24h, not the edit

        host.raise_event(old, "approval", {"role": "Steward", "decision": "approved"})
        assert host.wait_for(old)["output"]["outcome"] == "Approved"
        loaded = next(e for e in host.history(old) if e["EventType"] == 5)
        assert json.loads(loaded["Result"])["version"] == "1.0.0"

        new = host.start_orchestration("workflow", request)
        host.wait_idle()
        fresh = host.status(new)["customStatus"]  # type: ignore[index]
        assert fresh["version"] == "1.1.0"
        host.advance(duration="PT48H")
        extended = host.status(new)["customStatus"]["deadline"]  # type: ignore[index]
        assert _hours(fresh["deadline"], extended) == 2  # the new version's escalation


def _hours(first: str, second: str) -> float:
    from datetime import datetime

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(second) - parse(first)).total_seconds() / 3600
