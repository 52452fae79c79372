"""History events in the shape the Durable extension sends to out-of-process SDKs."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from .._sqlite import to_ts

__all__ = ["EventType", "event"]


class EventType(IntEnum):
    ExecutionStarted = 0
    ExecutionCompleted = 1
    ExecutionFailed = 2
    ExecutionTerminated = 3
    TaskScheduled = 4
    TaskCompleted = 5
    TaskFailed = 6
    SubOrchestrationInstanceCreated = 7
    SubOrchestrationInstanceCompleted = 8
    SubOrchestrationInstanceFailed = 9
    TimerCreated = 10
    TimerFired = 11
    OrchestratorStarted = 12
    OrchestratorCompleted = 13
    EventSent = 14
    EventRaised = 15
    ContinueAsNew = 16
    GenericEvent = 17
    HistoryState = 18
    ExecutionSuspended = 19
    ExecutionResumed = 20


def event(kind: EventType, at: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """One history event; ``fields`` use the extension's PascalCase names (Name, Input, ...)."""
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": to_ts(at),
        **fields,
    }
