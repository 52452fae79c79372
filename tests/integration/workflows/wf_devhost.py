"""Helpers for the workflow tests on devhost: the second app and history readings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from devhost.testing import DevHost

APP = Path(__file__).resolve().parents[2] / "apps" / "workflow_app"


def scheduled(host: DevHost, instance_id: str, activity: str) -> list[float]:
    """Seconds after the instance started at which ``activity`` was scheduled (virtual clock)."""
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
