"""Compiled programs: shared per pin, never shared across different content."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestration.conditions import compile_condition
from orchestration.definition import Definition, content_hash
from orchestration.program import load_program, program_for

DOCUMENT: dict[str, Any] = {
    "name": "program-test",
    "version": "1.0.0",
    "startAt": "Go",
    "input": {"type": "object", "required": ["n"]},
    "defaults": {"retry": {"maxAttempts": 2}},
    "states": {
        "Go": {
            "type": "pass",
            "result": {"n.$": "$.input.n"},
            "resultPath": "$.state.go",
            "end": True,
        }
    },
}


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 5, tzinfo=UTC)

    def uuid(self) -> str:
        return "uuid-1"


CLOCK = FixedClock()


def pinned(document: dict[str, Any], source: str = "folder") -> Definition:
    """What the orchestrator builds from the loader's result on each replay: a fresh copy."""
    document = copy.deepcopy(document)
    return Definition(
        document["name"], document["version"], content_hash(document), document, source
    )


def test_every_replay_of_one_pin_gets_the_same_compiled_program() -> None:
    first, second = program_for(pinned(DOCUMENT)), program_for(pinned(DOCUMENT))
    assert first is second
    state = first.document["states"]["Go"]
    assert first.template(state["result"]) is second.template(state["result"])
    assert first.default_retry is not None and first.default_retry.max_attempts == 2
    assert first.input_validator is not None
    assert not first.input_validator.is_valid({})


def test_changed_content_gets_its_own_program() -> None:
    changed = copy.deepcopy(DOCUMENT)
    changed["states"]["Go"]["result"] = {"m.$": "$.input.n"}
    first, second = program_for(pinned(DOCUMENT)), program_for(pinned(changed))
    assert first is not second
    data = {"input": {"n": 4}, "state": {}, "system": {}}
    template = second.document["states"]["Go"]["result"]
    assert second.template(template).evaluate(data, CLOCK) == {"m": 4}


def test_the_same_content_from_another_source_keeps_its_own_pin() -> None:
    from_folder, from_blob = program_for(pinned(DOCUMENT)), program_for(pinned(DOCUMENT, "blob"))
    assert from_folder.definition.source == "folder"
    assert from_blob.definition.source == "blob"


def test_a_definition_whose_content_does_not_match_its_hash_is_not_shared() -> None:
    forged = Definition("program-test", "1.0.0", content_hash(DOCUMENT), {**DOCUMENT, "x": 1})
    first, second = program_for(forged), program_for(forged)
    assert first is not second
    assert first.document["x"] == 1


def test_compiled_conditions_match_the_operators() -> None:
    data = {"input": {"mode": "fast"}, "state": {"n": 3, "m": 3}, "system": {}}
    condition = {
        "and": [
            {"path": "$.input.mode", "equals": "fast"},
            {"not": {"path": "$.state.n", "lessThan": 0}},
            {
                "or": [
                    {"path": "$.state.gone", "isPresent": True},
                    {"path": "$.state.n", "equals.$": "$.state.m"},
                ]
            },
        ]
    }
    assert compile_condition(condition)(data, CLOCK) is True
    data["state"]["m"] = 4
    assert compile_condition(condition)(data, CLOCK) is False


def test_the_loader_result_packs_the_document_and_reads_back_the_same() -> None:
    definition = pinned(DOCUMENT)
    loaded = json.loads(json.dumps(definition.to_json()))  # what the SDK hands back
    assert "definition" not in loaded
    assert isinstance(loaded["definitionDeflated"], str)
    assert Definition.from_json(loaded) == definition


def test_a_loader_result_recorded_with_the_document_as_an_object_is_still_read() -> None:
    definition = pinned(DOCUMENT)
    pin = {k: v for k, v in definition.to_json().items() if k != "definitionDeflated"}
    recorded = {**pin, "definition": copy.deepcopy(DOCUMENT)}
    assert Definition.from_json(recorded) == definition
    assert load_program(recorded) is program_for(definition)


def test_a_packed_document_that_does_not_unpack_is_named() -> None:
    loaded = {**pinned(DOCUMENT).to_json(), "definitionDeflated": "bm90IGRlZmxhdGVk"}
    with pytest.raises(ValueError, match="'definitionDeflated' does not unpack"):
        Definition.from_json(loaded)
    with pytest.raises(ValueError, match="field 'hash' must be a string"):
        Definition.from_json({"name": "x", "version": "1.0.0"})
