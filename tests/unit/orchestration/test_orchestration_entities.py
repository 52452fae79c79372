"""The entity state: call (wait for the result) or signal an entity operation, on the real
interpreter and SDK, with a small entity of the test's own."""

from __future__ import annotations

import json
from typing import Any

import azure.durable_functions as df
import pytest
from devhost.replay import check_replay
from wf_harness import blueprint_app, workflow

from orchestration.validation import validate_document

tallies = df.Blueprint()


@tallies.entity_trigger(context_name="context")
def tally(context: df.DurableEntityContext) -> None:
    """A counter: ``add`` (refuses negatives with a named error), ``get``, ``boom``."""
    value = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        amount = context.get_input()
        if not isinstance(amount, int) or amount < 0:
            raise ValueError(f"Tally.Negative: cannot add {amount!r}")
        context.set_state(value + amount)
        context.set_result(value + amount)
    elif operation == "get":
        context.set_result(value)
    else:
        raise RuntimeError("something went wrong")  # no error name in the message


def call(operation: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "entity",
        "entity": "tally",
        "key.$": "$.input.who",
        "operation": operation,
        **extra,
    }


def test_a_call_waits_for_the_result_and_a_signal_goes_on(bench: Any) -> None:
    definition = workflow(
        "e",
        {
            "Signal": {**call("add", input=2, signal=True), "next": "Add"},
            "Add": {**call("add", input="$.input.n"), "resultPath": "$.state.after", "next": "Get"},
            "Get": {**call("get"), "resultPath": "$.state.total", "end": True},
        },
    )
    b = bench([definition], blueprints=(tallies,))

    iid = b.start("e", {"who": "ann", "n": 5})

    status = b.status(iid)
    assert status.status == "Completed", status.error
    assert status.output == {"after": 7, "total": 7}  # the signal ran before the call
    assert b.host.entity_state("tally", "ann") == 7
    assert b.host.entity_state("tally", "bob") is None
    sent = [json.loads(e["Input"]) for e in status.history if e["EventType"] == 14]
    assert [(m["op"], m["signal"]) for m in sent] == [("add", True), ("add", False), ("get", False)]


def test_a_literal_key_and_an_input_template(bench: Any) -> None:
    definition = workflow(
        "k",
        {
            "Add": {
                "type": "entity",
                "entity": "Tally",
                "key": "fixed",
                "operation": "add",
                "input": "$.input.n",
                "resultPath": "$.state.v",
                "end": True,
            },
        },
    )
    b = bench([definition], blueprints=(tallies,))
    iid = b.start("k", {"n": 3})
    assert b.status(iid).output == {"v": 3}
    assert b.host.entity_state("tally", "fixed") == 3  # entity names are case-insensitive


def test_an_operation_error_is_named_by_its_message_and_can_be_caught(bench: Any) -> None:
    definition = workflow(
        "c",
        {
            "Add": {
                **call("add", input=-1),
                "resultPath": "$.state.v",
                "next": "Done",
                "catch": [
                    {"errors": ["Tally.Negative"], "next": "Refused", "resultPath": "$.state.error"}
                ],
            },
            "Refused": {"type": "succeed", "output": "$.state.error"},
            "Done": {"type": "succeed"},
        },
    )
    b = bench([definition], blueprints=(tallies,))
    iid = b.start("c", {"who": "ann"})
    assert b.status(iid).output == {"error": "Tally.Negative", "cause": "cannot add -1"}
    assert b.host.entity_state("tally", "ann") is None  # the failed operation changed nothing


def test_an_unnamed_operation_error_fails_the_workflow_as_task_failed(bench: Any) -> None:
    b = bench([workflow("u", {"Boom": {**call("boom"), "end": True}})], blueprints=(tallies,))
    iid = b.start("u", {"who": "ann"})
    status = b.status(iid)
    assert status.status == "Failed"
    assert status.error.endswith("Task.Failed: something went wrong")


def test_an_unknown_entity_fails_with_the_hosts_message(bench: Any) -> None:
    definition = workflow(
        "n",
        {
            "Call": {
                "type": "entity",
                "entity": "nosuch",
                "key": "k",
                "operation": "get",
                "end": True,
            }
        },
    )
    b = bench([definition], blueprints=(tallies,))
    status = b.status(b.start("n", {}))
    assert status.status == "Failed"
    assert "'nosuch' doesn't exist" in status.error


@pytest.mark.parametrize("key", [42, "", None, ["a"]])
def test_a_key_that_is_not_a_non_empty_string_is_an_expression_error(bench: Any, key: Any) -> None:
    b = bench([workflow("bad", {"Get": {**call("get"), "end": True}})], blueprints=(tallies,))
    status = b.status(b.start("bad", {"who": key}))
    assert status.status == "Failed"
    assert "Expression.Failed: state Get: the entity key must be a non-empty string" in (
        status.error
    )


def test_an_entity_call_retries_like_a_task(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Add": {
                **call("add", input=-1),
                "end": True,
                "retry": {"maxAttempts": 3, "interval": "PT10S", "errors": ["Tally.Negative"]},
            },
        },
    )
    b = bench([definition], blueprints=(tallies,))
    iid = b.start("r", {"who": "ann"})
    b.advance(seconds=30)
    status = b.status(iid)
    assert status.status == "Failed"
    assert status.error.endswith("Tally.Negative: cannot add -1")
    sent = [e for e in status.history if e["EventType"] == 14]
    assert len(sent) == 3


def test_replay_check_sees_a_changed_entity_operation(bench: Any) -> None:
    definition = workflow("p", {"Get": {**call("get"), "resultPath": "$.state.v", "end": True}})
    b = bench([definition], blueprints=(tallies,))
    iid = b.start("p", {"who": "ann"})
    history = b.status(iid).history
    app = blueprint_app(tallies)
    handle = next(
        f.get_user_function() for f in app.get_functions() if f.get_function_name() == "workflow"
    )
    assert check_replay(handle, history, iid).ok

    changed = workflow(
        "p", {"Get": {**call("add", input=1), "resultPath": "$.state.v", "end": True}}
    )
    b.write(changed)
    # The recorded loader result pins the old definition, so the replay is unchanged ...
    assert check_replay(handle, history, iid).ok
    # ... while a history whose sent operation differs from the code's is a mismatch.
    edited = [dict(e) for e in history]
    for item in edited:
        if item["EventType"] == 14:
            message = json.loads(item["Input"])
            item["Input"] = json.dumps({**message, "op": "add"})
    report = check_replay(handle, edited, iid)
    assert not report.ok
    assert "entity 'add @tally@ann'" in report.mismatches[0]


# --- validation -------------------------------------------------------------------------


def codes(document: dict[str, Any], entities: set[str] | None = None) -> list[tuple[str, str]]:
    return [(d.code, d.pointer) for d in validate_document(document, entities=entities)]


def test_a_valid_entity_state_has_no_diagnostics() -> None:
    document = workflow(
        "v",
        {
            "Get": {
                **call("get"),
                "resultPath": "$.state.v",
                "timeout": "PT1M",
                "retry": {"maxAttempts": 2},
                "end": True,
            }
        },
    )
    assert codes(document, {"tally"}) == []
    assert codes(document, {"TALLY"}) == []


def test_an_unknown_entity_is_reported() -> None:
    document = workflow("v", {"Get": {**call("get"), "end": True}})
    assert codes(document, {"device"}) == [("entity.unknown", "/states/Get/entity")]
    assert codes(document, None) == []  # no app: not checked


@pytest.mark.parametrize(
    "state",
    [
        {"type": "entity", "entity": "tally", "operation": "get", "end": True},  # no key
        {**call("get"), "key": "k", "end": True},  # key and key.$
        {**call("add", signal=True), "resultPath": "$.state.v", "end": True},  # signal: no result
        {**call("add", signal=True), "timeout": "PT1M", "end": True},
        {**call("add", signal=True), "catch": [{"errors": ["*"], "next": "Get"}], "end": True},
        {"type": "entity", "entity": "tally", "key": "k", "end": True},  # no operation
        {"type": "entity", "entity": "bad name", "key": "k", "operation": "get", "end": True},
        {**call("get"), "end": True, "activity": "x"},  # not a field of the entity state
    ],
)
def test_malformed_entity_states_are_schema_violations(state: dict[str, Any]) -> None:
    document = workflow("v", {"Get": state})
    assert "schema.violation" in [code for code, _ in codes(document)]


def test_bad_key_expression_and_input_template_are_reported() -> None:
    document = workflow(
        "v", {"Get": {**call("get"), "key.$": "$.[", "input": {"a.$": "nosuch(1)"}, "end": True}}
    )
    found = codes(document)
    assert ("path.invalid", "/states/Get/key.$") in found
    assert ("path.invalid", "/states/Get/input/a.$") in found


def test_a_loop_through_an_entity_call_is_work_but_one_through_a_signal_spins() -> None:
    def loop(signal: bool) -> dict[str, Any]:
        return workflow(
            "l",
            {
                "Poke": {
                    **call("add", input=1, **({"signal": True} if signal else {})),
                    "next": "Again",
                },
                "Again": {
                    "type": "choice",
                    "choices": [{"when": {"path": "$.input.stop", "equals": True}, "next": "Done"}],
                    "default": "Poke",
                },
                "Done": {"type": "succeed"},
            },
        )

    assert [c for c, _ in codes(loop(signal=False))] == []
    assert [c for c, _ in codes(loop(signal=True))] == ["loop.no-wait"]
