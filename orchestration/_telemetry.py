"""Metrics the interpreter and the checked activities record, through the app's ``telemetry``.

``orchestration`` is a blueprint any DFApp can register: when the app has no ``telemetry``
package, recording is a no-op. The orchestrator records only when it is not replaying (the
Durable rule for side effects that must happen once), and a metric never changes what a
workflow does.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["activity_failed", "workflow_ended", "workflow_started"]

log = logging.getLogger(__name__)


def _telemetry() -> Any:
    try:
        import telemetry
    except ImportError:  # an app without the telemetry package: nothing to record
        return None
    return telemetry


def workflow_started(workflow: str) -> None:
    found = _telemetry()
    if found is not None:
        found.record_workflow_started(workflow)


def workflow_ended(workflow: str, outcome: str, seconds: float) -> None:
    found = _telemetry()
    if found is not None:
        found.record_workflow_ended(workflow, outcome, seconds)


def activity_failed(activity: str, error: str) -> None:
    found = _telemetry()
    if found is not None:
        found.record_activity_failed(activity, error)
