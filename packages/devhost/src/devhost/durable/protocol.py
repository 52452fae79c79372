"""The out-of-process protocol between the Durable extension and the SDK, as devhost speaks it:
action types, the events a replay reads, calling an orchestrator, and failure reasons."""

from __future__ import annotations

import json
import traceback
from typing import Any

from azure.functions import _durable_functions as azf_durable

from .history import EventType

__all__ = [
    "CALL_ACTIVITY",
    "CALL_ACTIVITY_RETRY",
    "CALL_ENTITY",
    "CALL_HTTP",
    "CALL_SUB",
    "CALL_SUB_RETRY",
    "CONTINUE_AS_NEW",
    "CREATE_TIMER",
    "HTTP_ACTIVITY",
    "OUT_OF_PROC_LABEL",
    "REPLAYED",
    "SIGNAL_ENTITY",
    "TERMINAL",
    "WAIT_EVENT",
    "call_orchestrator",
    "failure_fields",
    "flatten_actions",
]

TERMINAL = frozenset({"Completed", "Failed", "Terminated"})
# The events the SDK's replay reads. The others (TaskScheduled, TimerCreated, ...) are kept in
# the stored history but not sent: the SDK skips them, yet parses each one's timestamp, which
# is most of the cost of a replay.
REPLAYED = frozenset(
    {
        EventType.OrchestratorStarted,
        EventType.ExecutionStarted,
        EventType.ContinueAsNew,
        EventType.EventSent,
        EventType.EventRaised,
        EventType.TaskCompleted,
        EventType.TaskFailed,
        EventType.TimerFired,
        EventType.SubOrchestrationInstanceCompleted,
        EventType.SubOrchestrationInstanceFailed,
    }
)
# The SDK raises an orchestrator's failure with its state after this label.
OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:"

# Action types of the out-of-process protocol (azure.durable_functions ActionType).
CALL_ACTIVITY, CALL_ACTIVITY_RETRY, CALL_SUB, CALL_SUB_RETRY = 0, 1, 2, 3
CONTINUE_AS_NEW, CREATE_TIMER, WAIT_EVENT, CALL_ENTITY, CALL_HTTP, SIGNAL_ENTITY = 4, 5, 6, 7, 8, 9
HTTP_ACTIVITY = "BuiltIn::HttpActivity"


def call_orchestrator(func: Any, body: str) -> dict[str, Any]:
    """Call an orchestrator function with the context JSON, as the worker does; returns the
    OrchestratorState (actions, isDone, output, error, customStatus)."""
    try:
        out = func(azf_durable.OrchestrationContext(body))
    except Exception as exc:
        # The SDK raises with the state it had appended after a label (out-of-proc protocol).
        message, _, state = str(exc).partition(OUT_OF_PROC_LABEL)
        data: dict[str, Any] = json.loads(state) if state else {"actions": [], "customStatus": None}
        data["isDone"] = False
        data["error"] = message or type(exc).__name__
        return data
    return json.loads(out) if isinstance(out, str) else dict(out)


def flatten_actions(actions: Any) -> list[dict[str, Any]]:
    """The actions of a result in scheduling order (compound actions expanded in place)."""
    out: list[dict[str, Any]] = []
    if isinstance(actions, list):
        for item in actions:
            out.extend(flatten_actions(item))
    elif isinstance(actions, dict):
        if "compoundActions" in actions:
            out.extend(flatten_actions(actions["compoundActions"]))
        else:
            out.append(actions)
    return out


def failure_fields(exc: BaseException, what: str) -> dict[str, Any]:
    """Reason and details of a failed task, as the worker reports an exception."""
    message = str(exc) or type(exc).__name__
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"Reason": f"{what} failed: {type(exc).__name__}: {message}", "Details": details}
