"""Every state type on the real interpreter, replayed by the real SDK on a simulated host."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from wf_harness import ApprovalRejected, workflow

ECHO = {"echo": lambda x: x}


def test_task_passes_templated_input_and_writes_result_path(bench: Any) -> None:
    seen: list[Any] = []
    definition = workflow(
        "t",
        {
            "Draft": {
                "type": "task",
                "activity": "draft",
                "input": {"id.$": "$.input.documentId", "kind": "dictionary", "n": 2},
                "resultPath": "$.state.draft",
                "next": "Done",
            },
            "Done": {"type": "succeed"},
        },
    )
    b = bench([definition], {"draft": lambda x: seen.append(x) or {"blob": f"drafts/{x['id']}"}})
    iid = b.start("t", {"documentId": "D-7"})
    status = b.status(iid)
    assert seen == [{"id": "D-7", "kind": "dictionary", "n": 2}]
    assert status.status == "Completed"
    assert status.output == {"draft": {"blob": "drafts/D-7"}}


def test_pass_computes_values_and_result_is_dropped_without_result_path(bench: Any) -> None:
    definition = workflow(
        "p",
        {
            "Compute": {
                "type": "pass",
                "result": {"sum.$": "length($.input.items)", "fixed": [1, "$.x"]},
                "resultPath": "$.state.computed",
                "next": "Ignored",
            },
            "Ignored": {"type": "pass", "result": {"lost": True}, "end": True},
        },
    )
    b = bench([definition])
    iid = b.start("p", {"items": [1, 2, 3]})
    assert b.status(iid).output == {"computed": {"sum": 3, "fixed": [1, "$.x"]}}


def test_definition_output_template_shapes_the_result(bench: Any) -> None:
    definition = workflow(
        "o",
        {"A": {"type": "pass", "result": 5, "resultPath": "$.state.a", "end": True}},
        output={"answer.$": "$.state.a", "who.$": "$.input.who"},
    )
    b = bench([definition])
    iid = b.start("o", {"who": "me"})
    assert b.status(iid).output == {"answer": 5, "who": "me"}


@pytest.mark.parametrize(
    ("wait", "expected_seconds"),
    [
        ({"duration": "PT90S"}, 90),
        ({"duration.$": "$.input.sla"}, 3600),
        ({"until": "2026-01-05T10:30:00Z"}, 5400),
        ({"until.$": "$.input.at"}, 7200),
    ],
)
def test_wait_on_timer_forms(bench: Any, wait: dict[str, Any], expected_seconds: int) -> None:
    definition = workflow(
        "w",
        {
            "Begin": {"type": "task", "activity": "echo", "input": "begin", "next": "Wait"},
            "Wait": {"type": "wait", **wait, "next": "After"},
            "After": {"type": "task", "activity": "echo", "input": "after", "end": True},
        },
    )
    b = bench([definition], ECHO)
    iid = b.start("w", {"sla": "PT1H", "at": "2026-01-05T11:00:00Z"})
    assert b.status(iid).custom_status["waitingFor"] == "timer"
    b.advance(seconds=expected_seconds - 1)
    assert b.status(iid).status == "Running"
    b.advance(seconds=1)
    assert b.status(iid).status == "Completed"
    assert b.elapsed("echo") == [0, expected_seconds]


def test_choice_default_and_loops(bench: Any) -> None:
    definition = workflow(
        "c",
        {
            "Count": {
                "type": "task",
                "activity": "inc",
                "input": {"n.$": "$.state.n?"},
                "resultPath": "$.state.n",
                "next": "Enough",
            },
            "Enough": {
                "type": "choice",
                "choices": [
                    {"when": {"path": "$.state.n", "greaterThanOrEquals": 3}, "next": "Done"}
                ],
                "default": "Count",
            },
            "Done": {"type": "succeed", "output": {"n.$": "$.state.n"}},
        },
    )
    b = bench([definition], {"inc": lambda x: (x["n"] or 0) + 1})
    iid = b.start("c", {})
    assert b.status(iid).output == {"n": 3}
    assert len(b.calls("inc")) == 3


def test_choice_without_match_or_default_is_an_error(bench: Any) -> None:
    definition = workflow(
        "c",
        {
            "Pick": {
                "type": "choice",
                "choices": [{"when": {"path": "$.input.x", "equals": 1}, "next": "Done"}],
            },
            "Done": {"type": "succeed"},
        },
    )
    b = bench([definition])
    iid = b.start("c", {"x": 2})
    assert b.status(iid).status == "Failed"
    assert b.status(iid).error.startswith("Choice.NoMatch: ")


def test_succeed_output_and_fail_error_cause(bench: Any) -> None:
    definition = workflow(
        "f",
        {
            "Pick": {
                "type": "choice",
                "choices": [{"when": {"path": "$.input.ok", "equals": True}, "next": "Yes"}],
                "default": "No",
            },
            "Yes": {"type": "succeed", "output": {"outcome": "Approved"}},
            "No": {"type": "fail", "error": "Rejected", "cause.$": "$.input.reason"},
        },
    )
    b = bench([definition])
    ok, bad = b.start("f", {"ok": True}), b.start("f", {"ok": False, "reason": "missing owner"})
    assert (b.status(ok).status, b.status(ok).output) == ("Completed", {"outcome": "Approved"})
    assert (b.status(bad).status, b.status(bad).error) == ("Failed", "Rejected: missing owner")


def test_subworkflow_output_and_error_name(bench: Any) -> None:
    child = workflow(
        "child",
        {
            "Check": {
                "type": "choice",
                "choices": [{"when": {"path": "$.input.n", "lessThan": 0}, "next": "Bad"}],
                "default": "Good",
            },
            "Good": {
                "type": "succeed",
                "output": {"double.$": "format('{}{}', $.input.n, $.input.n)"},
            },
            "Bad": {"type": "fail", "error": "Child.Negative", "cause": "n < 0"},
        },
    )
    parent = workflow(
        "parent",
        {
            "Call": {
                "type": "subworkflow",
                "workflow": "child",
                "version": "1.0.0",
                "input": {"n.$": "$.input.n"},
                "resultPath": "$.state.child",
                "catch": [
                    {"errors": ["Child.Negative"], "next": "Caught", "resultPath": "$.state.err"}
                ],
                "end": True,
            },
            "Caught": {"type": "succeed", "output": {"caught.$": "$.state.err.error"}},
        },
    )
    b = bench([child, parent])
    good, bad = b.start("parent", {"n": 4}), b.start("parent", {"n": -1})
    assert b.status(good).output == {"child": {"double": "44"}}
    assert b.status(bad).output == {"caught": "Child.Negative"}
    children = [i for i in b.host.instances if i.startswith(f"{good}:")]
    assert children == [f"{good}:Call:1"]


def test_parallel_collects_branch_outputs_in_order(bench: Any) -> None:
    definition = workflow(
        "par",
        {
            "Both": {
                "type": "parallel",
                "resultPath": "$.state.results",
                "branches": [
                    {
                        "startAt": "A",
                        "states": {
                            "A": {
                                "type": "task",
                                "activity": "echo",
                                "input": "a",
                                "resultPath": "$.state.v",
                                "end": True,
                            }
                        },
                    },
                    {
                        "startAt": "B",
                        "states": {"B": {"type": "succeed", "output": {"b.$": "$.input.x"}}},
                    },
                ],
                "end": True,
            },
        },
    )
    b = bench([definition], ECHO)
    iid = b.start("par", {"x": 1})
    assert b.status(iid).output == {"results": [{"v": "a"}, {"b": 1}]}


def _parallel_with_waiting_branch(fail_fast: bool) -> dict[str, Any]:
    return workflow(
        "par",
        {
            "Both": {
                "type": "parallel",
                "failFast": fail_fast,
                "branches": [
                    {
                        "startAt": "Boom",
                        "states": {"Boom": {"type": "task", "activity": "reject", "end": True}},
                    },
                    {
                        "startAt": "Hold",
                        "states": {
                            "Hold": {"type": "wait", "duration": "PT1H", "next": "Late"},
                            "Late": {
                                "type": "task",
                                "activity": "echo",
                                "input": "late",
                                "end": True,
                            },
                        },
                    },
                ],
                "catch": [
                    {"errors": ["ApprovalRejected"], "next": "Caught", "resultPath": "$.state.e"}
                ],
                "end": True,
            },
            "Caught": {"type": "succeed", "output": {"e.$": "$.state.e"}},
        },
    )


def _reject(x: Any) -> Any:
    raise ApprovalRejected("no")


def test_parallel_fail_fast_stops_at_first_error(bench: Any) -> None:
    b = bench([_parallel_with_waiting_branch(True)], {"reject": _reject, **ECHO})
    iid = b.start("par", {})
    assert b.status(iid).status == "Completed"
    assert b.status(iid).output["e"]["error"] == "ApprovalRejected"
    b.advance(hours=2)
    assert b.calls("echo") == []


def test_parallel_without_fail_fast_lets_other_branches_finish(bench: Any) -> None:
    b = bench([_parallel_with_waiting_branch(False)], {"reject": _reject, **ECHO})
    iid = b.start("par", {})
    assert b.status(iid).status == "Running"
    b.advance(hours=1)
    status = b.status(iid)
    assert status.status == "Completed"
    assert [data for _, data in b.calls("echo")] == ["late"]
    assert status.output["e"]["error"] == "ApprovalRejected"
    assert status.output["e"]["branches"][0]["error"] == "ApprovalRejected"
    assert status.output["e"]["branches"][1] is None


def test_map_runs_iterator_per_item_with_max_concurrency(bench: Any) -> None:
    definition = workflow(
        "m",
        {
            "Each": {
                "type": "map",
                "items": "$.input.items",
                "maxConcurrency": 2,
                "resultPath": "$.state.out",
                "iterator": {
                    "startAt": "Begin",
                    "states": {
                        "Begin": {
                            "type": "task",
                            "activity": "begin",
                            "input": {"item.$": "$.input", "i.$": "$.system.iteration"},
                            "next": "Hold",
                        },
                        "Hold": {"type": "wait", "duration": "PT1M", "next": "Finish"},
                        "Finish": {"type": "succeed", "output": {"item.$": "$.input"}},
                    },
                },
                "end": True,
            },
        },
    )
    b = bench([definition], {"begin": lambda x: x})
    iid = b.start("m", {"items": ["a", "b", "c", "d", "e"]})
    b.advance(minutes=3)
    assert b.status(iid).output == {"out": [{"item": i} for i in "abcde"]}
    assert b.elapsed("begin") == [0, 0, 60, 60, 120]
    assert [d["i"] for _, d in b.calls("begin")] == [0, 1, 2, 3, 4]


def test_map_items_must_be_a_list(bench: Any) -> None:
    definition = workflow(
        "m",
        {
            "Each": {
                "type": "map",
                "items": "$.input.items",
                "iterator": {"startAt": "X", "states": {"X": {"type": "succeed"}}},
                "end": True,
            }
        },
    )
    b = bench([definition])
    iid = b.start("m", {"items": "abc"})
    assert b.status(iid).error.startswith("Map.ItemsNotList: ")


def test_custom_status_while_waiting_for_an_event(bench: Any) -> None:
    definition = workflow(
        "s",
        {
            "Await": {
                "type": "wait",
                "event": "approval",
                "timeout": {"duration": "PT48H"},
                "timeoutNext": "Late",
                "resultPath": "$.state.vote",
                "end": True,
            },
            "Late": {"type": "succeed", "output": "late"},
        },
    )
    b = bench([definition])
    iid = b.start("s", {})
    assert b.status(iid).custom_status == {
        "workflow": "s",
        "version": "1.0.0",
        "state": "Await",
        "waitingFor": "approval",
        "deadline": "2026-01-07T09:00:00Z",
    }
    b.raise_event(iid, "approval", {"ok": 1})
    assert b.status(iid).output == {"vote": {"ok": 1}}
    assert "waitingFor" not in b.status(iid).custom_status


def test_input_rejected_by_input_schema_runs_nothing(bench: Any) -> None:
    definition = workflow(
        "i",
        {"Go": {"type": "task", "activity": "echo", "end": True}},
        input={
            "type": "object",
            "required": ["documentId"],
            "properties": {"documentId": {"type": "string"}},
        },
    )
    b = bench([definition], ECHO)
    iid = b.start("i", {"documentId": 5})
    status = b.status(iid)
    assert status.status == "Failed"
    assert status.error.startswith("Input.Invalid: ")
    assert "documentId" in status.error
    assert b.calls("echo") == []


def test_unknown_workflow_fails_with_a_clear_error(bench: Any) -> None:
    b = bench([])
    iid = b.start("nope", {})
    assert b.status(iid).status == "Failed"
    assert b.status(iid).error.startswith("DefinitionNotFound: no definition named 'nope'")


def test_bad_orchestrator_input_names_the_field(bench: Any) -> None:
    b = bench([])
    iid = b.host.start("workflow", {"input": {}})
    assert b.status(iid).error.startswith("Input.Invalid: orchestrator input field 'workflow'")


def test_a_pinned_hash_that_no_longer_matches_is_definition_changed(bench: Any) -> None:
    definition = workflow("h", {"Done": {"type": "succeed"}})
    b = bench([definition])
    iid = b.host.start("workflow", {"workflow": "h", "input": {}, "hash": "sha256:0000"})
    assert b.status(iid).error.startswith("Definition.Changed: h 1.0.0 now has hash sha256:")
    pinned = b.status(b.start("h", {})).history
    loaded = json.loads(next(e for e in pinned if e["EventType"] == 5)["Result"])
    same = b.host.start("workflow", {"workflow": "h", "input": {}, "hash": loaded["hash"]})
    assert b.status(same).status == "Completed"


def test_the_blueprint_registers_workflow_and_its_loader() -> None:
    from wf_harness import blueprint_app

    from orchestration.orchestrator import LOADER_ACTIVITY

    functions = {
        f.get_function_name(): {b.type for b in f.get_bindings()}
        for f in blueprint_app().get_functions()
    }
    assert functions == {
        "workflow": {"orchestrationTrigger"},
        LOADER_ACTIVITY: {"activityTrigger"},
    }


def test_system_now_is_the_time_each_state_starts(bench: Any) -> None:
    """``$.system.now`` moves after a state that waited and stays put across instant ones."""

    def stamp(key: str, then: str | None) -> dict[str, Any]:
        step = {"type": "pass", "result": {"at.$": "$.system.now"}, "resultPath": f"$.state.{key}"}
        return {**step, "next": then} if then else {**step, "end": True}

    definition = workflow(
        "clock",
        {
            "Before": stamp("before", "Same"),
            "Same": stamp("same", "Sleep"),
            "Sleep": {"type": "wait", "duration": "PT1H", "next": "After"},
            "After": stamp("after", "Work"),
            "Work": {"type": "task", "activity": "slow", "next": "Last"},
            "Last": stamp("last", None),
        },
    )
    b = bench([definition], {"slow": lambda x: None})
    b.host.latency["slow"] = timedelta(minutes=5)
    iid = b.start("clock")
    b.advance(hours=2)
    state = b.status(iid).output
    assert state["before"] == state["same"] == {"at": "2026-01-05T09:00:00Z"}
    assert state["after"] == {"at": "2026-01-05T10:00:00Z"}
    assert state["last"] == {"at": "2026-01-05T10:05:00Z"}
