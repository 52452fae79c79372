"""Determinism: recorded histories of the test workflows replay without a single difference.

The fixtures in tests/fixtures/histories were recorded on devhost (see
tests/integration/workflows/record_histories.py). Each is replayed through the orchestrator
handle the blueprint registers; a deliberately non-deterministic change to the interpreter
must make that replay report mismatches, so each kind of change is tried here as well.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from devhost.replay import check_replay
from wf_harness import blueprint_app

import orchestration.concurrency
import orchestration.interpreter
from orchestration.retry import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "histories"
FILES = sorted(FIXTURES.glob("*.json"))


def handle() -> Any:
    app = blueprint_app()
    return next(
        f.get_user_function() for f in app.get_functions() if f.get_function_name() == "workflow"
    )


def load(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return record


def replay(name: str) -> list[str]:
    record = load(name)
    parent = next((e.get("ParentInstance") for e in record["history"] if e["EventType"] == 0), None)
    parent_id = (
        (parent or {}).get("OrchestrationInstance", {}).get("InstanceId") if parent else None
    )
    return check_replay(handle(), record["history"], record["instanceId"], parent_id).mismatches


def test_fixtures_cover_the_test_workflows() -> None:
    scenarios = {load(f.name)["scenario"] for f in FILES}
    assert {
        "approval",
        "retries",
        "saga-fail",
        "saga-compensate",
        "parallel",
        "map",
        "subworkflow",
        "limits",
        "catalog",
    } <= scenarios
    assert all(load(f.name)["runtimeStatus"] in ("Completed", "Failed") for f in FILES)


@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_recorded_history_replays_identically(name: str) -> None:
    assert replay(name) == []


def test_reordering_parallel_branches_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    original = orchestration.concurrency.run_concurrently

    def reversed_start(context: Any, branches: list[Any], **options: Any) -> Any:
        return (yield from original(context, list(reversed(branches)), **options))

    monkeypatch.setattr(orchestration.interpreter, "run_concurrently", reversed_start)
    mismatches = replay("parallel-1.json")
    assert mismatches
    assert "step 1" in mismatches[0]


def test_changing_the_backoff_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt: self.interval)
    mismatches = replay("retries-0.json")
    assert any("timer" in m for m in mismatches)


def test_reading_the_wall_clock_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    wall = datetime.now(UTC) + timedelta(days=400)
    monkeypatch.setattr(orchestration.interpreter._ContextClock, "now", lambda self: wall)
    assert replay("approval-0.json")


def test_scheduling_an_extra_activity_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    original = orchestration.interpreter.Interpreter.pass_state

    def audited_pass(self: Any, name: str, state: Any, data: Any) -> Any:
        yield self.context.call_activity("audit", name)
        return (yield from original(self, name, state, data))

    monkeypatch.setitem(orchestration.interpreter.Interpreter.HANDLERS, "pass", audited_pass)
    mismatches = replay("approval-0.json")
    assert any("'audit'" in m for m in mismatches)


def test_a_changed_outcome_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    record = load("saga-fail-0.json")
    for item in record["history"]:
        if item["EventType"] == 2:
            item["Reason"] = "Orchestrator function 'workflow' failed: Rejected: something else"
    assert check_replay(handle(), record["history"], record["instanceId"]).mismatches
