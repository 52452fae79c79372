"""The timeline from the Durable extension's history shape, and the stuck rule, as units."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from management.stuck import StuckRules, stuck_reason
from management.timeline import timeline
from orchestration.definition import Definition, content_hash

DOCUMENT: dict[str, Any] = {
    "name": "review",
    "version": "1.0.0",
    "startAt": "Load",
    "states": {
        "Load": {
            "type": "task",
            "activity": "fetch",
            "resultPath": "$.state.x",
            "next": "Await",
            "catch": [{"errors": ["*"], "next": "Undo"}],
        },
        "Await": {
            "type": "wait",
            "event": "go",
            "timeout": {"duration": "P1D"},
            "timeoutNext": "Late",
            "next": "Check",
        },
        "Check": {
            "type": "choice",
            "choices": [{"when": {"path": "$.state.x", "equals": 1}, "next": "Done"}],
            "default": "Late",
        },
        "Done": {"type": "succeed"},
        "Late": {"type": "fail", "error": "Late"},
        "Undo": {"type": "fail", "error": "Broken"},
    },
}


def _loader_result() -> dict[str, Any]:
    return Definition("review", "1.0.0", content_hash(DOCUMENT), DOCUMENT, "folder x").to_json()


def test_the_extension_history_shape_gives_states_activities_timers_and_events() -> None:
    # What the extension's showHistory answers: TaskScheduled folded into its completion,
    # OrchestratorStarted/Completed and event payloads removed, EventType as text.
    history = [
        {
            "EventType": "ExecutionStarted",
            "Timestamp": "2026-01-01T00:00:00Z",
            "FunctionName": "workflow",
        },
        {
            "EventType": "TaskCompleted",
            "Timestamp": "2026-01-01T00:00:01Z",
            "FunctionName": "load_workflow_definition",
            "ScheduledTime": "2026-01-01T00:00:00Z",
            "Result": _loader_result(),
        },
        {
            "EventType": "TaskCompleted",
            "Timestamp": "2026-01-01T00:00:03Z",
            "FunctionName": "fetch",
            "ScheduledTime": "2026-01-01T00:00:01.500Z",
            "Result": 1,
        },
        {
            "EventType": "TimerCreated",
            "Timestamp": "2026-01-01T00:00:03Z",
            "FireAt": "2026-01-02T00:00:03Z",
        },
        {"EventType": "EventRaised", "Timestamp": "2026-01-01T05:00:00Z", "Name": "go"},
        {
            "EventType": "ExecutionCompleted",
            "Timestamp": "2026-01-01T05:00:00Z",
            "OrchestrationStatus": "Completed",
        },
    ]
    result = timeline(
        {
            "instanceId": "i",
            "runtimeStatus": "Completed",
            "historyEvents": history,
            "customStatus": {"workflow": "review", "state": "Done"},
        }
    )

    assert (result["workflow"], result["version"]) == ("review", "1.0.0")
    assert [(s["state"], s["inferred"]) for s in result["states"]] == [
        ("Load", False),
        ("Await", False),
        ("Check", True),
        ("Done", False),
    ]
    fetch = next(e for e in result["entries"] if e.get("name") == "fetch")
    assert (fetch["state"], fetch["durationMs"], fetch["outcome"]) == ("Load", 1500, "completed")
    assert "result" not in fetch
    timer = next(e for e in result["entries"] if e["kind"] == "timer")
    assert (timer["state"], timer["role"], timer["fired"]) == ("Await", "wait", False)
    event = next(e for e in result["entries"] if e["kind"] == "event")
    assert (event["name"], event["state"], "data" in event) == ("go", "Await", False)


def test_a_failed_task_leaves_through_its_catch_and_the_error_is_named() -> None:
    history = [
        {"EventType": 0, "EventId": -1, "Timestamp": "2026-01-01T00:00:00Z", "Name": "workflow"},
        {
            "EventType": 4,
            "EventId": 0,
            "Timestamp": "2026-01-01T00:00:00Z",
            "Name": "load_workflow_definition",
        },
        {
            "EventType": 5,
            "TaskScheduledId": 0,
            "Timestamp": "2026-01-01T00:00:01Z",
            "Result": json.dumps(_loader_result()),
        },
        {"EventType": 4, "EventId": 1, "Timestamp": "2026-01-01T00:00:01Z", "Name": "fetch"},
        {
            "EventType": 6,
            "TaskScheduledId": 1,
            "Timestamp": "2026-01-01T00:00:02Z",
            "Reason": "Activity function 'fetch' failed: Source.Down: the source is down",
            "Details": "",
        },
        {
            "EventType": 1,
            "Timestamp": "2026-01-01T00:00:02Z",
            "OrchestrationStatus": 3,
            "Result": "Broken: state Undo failed the workflow",
        },
    ]
    result = timeline(
        {
            "instanceId": "i",
            "runtimeStatus": "Failed",
            "historyEvents": history,
            "customStatus": {"state": "Undo"},
        }
    )
    assert [s["state"] for s in result["states"]] == ["Load", "Undo"]
    fetch = next(e for e in result["entries"] if e.get("name") == "fetch")
    assert (fetch["outcome"], fetch["error"], fetch["cause"]) == (
        "failed",
        "Source.Down",
        "the source is down",
    )
    assert result["entries"][-1]["runtimeStatus"] == "Failed"


def test_a_history_without_the_definition_still_lists_its_entries() -> None:
    result = timeline(
        {
            "instanceId": "i",
            "historyEvents": [
                {"EventType": "TimerCreated", "Timestamp": "t", "FireAt": "2026-01-01T00:00:00Z"},
                {"EventType": "TimerFired", "Timestamp": "u", "FireAt": "2026-01-01T00:00:00Z"},
            ],
        }
    )
    assert result["states"] == []
    assert result["entries"] == [
        {
            "kind": "timer",
            "createdAt": "t",
            "fireAt": "2026-01-01T00:00:00Z",
            "fired": True,
            "firedAt": "u",
        }
    ]


NOW = datetime(2026, 1, 10, tzinfo=UTC)
RULES = StuckRules(after=timedelta(hours=50), grace=timedelta(hours=1))


def _view(**fields: Any) -> dict[str, Any]:
    return {
        "runtimeStatus": "Running",
        "createdTime": "2026-01-01T00:00:00Z",
        "deadline": None,
        "waitingFor": None,
        **fields,
    }


def test_the_stuck_rule() -> None:
    assert stuck_reason(_view(deadline="2026-01-11T00:00:00Z"), NOW, RULES) is None  # future
    assert stuck_reason(_view(deadline="2026-01-09T23:30:00Z"), NOW, RULES) is None  # in grace
    assert "passed 2.0 h ago" in (
        stuck_reason(_view(deadline="2026-01-09T22:00:00Z"), NOW, RULES) or ""
    )
    assert "no deadline" in (stuck_reason(_view(waitingFor="go"), NOW, RULES) or "")
    assert stuck_reason(_view(createdTime="2026-01-09T00:00:00Z"), NOW, RULES) is None  # young
    assert stuck_reason(_view(runtimeStatus="Suspended"), NOW, RULES) is None
