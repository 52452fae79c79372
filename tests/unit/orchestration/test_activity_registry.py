"""The activity registry: schema files, the run-time input check, and the validator's use."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest
from devhost.durable.protocol import failure_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.activity_registry import (
    SCHEMAS_PATH,
    ActivityInputInvalid,
    ActivityRegistry,
    RegistryError,
    default_registry,
)
from orchestration.checked_blueprint import CheckedBlueprint
from orchestration.cli import app_activities
from orchestration.cli import main as validate_main
from orchestration.errors import error_from_failure
from orchestration.retry import RetryPolicy
from orchestration.validation import validate_document

REPO = Path(__file__).resolve().parents[3]


def test_every_activity_the_app_registers_has_a_schema_file_and_no_file_is_orphaned() -> None:
    registered, problem = app_activities(REPO)
    assert problem is None, problem
    assert registered, "the app registers no activity?"
    registry = default_registry()
    assert sorted(registered - registry.names) == [], "activities without a schema file"
    assert sorted(registry.names - registered) == [], "schema files without an activity"


def test_every_schema_file_has_a_description_and_valid_input_and_output_schemas() -> None:
    registry = ActivityRegistry.from_folder(SCHEMAS_PATH)  # raises RegistryError otherwise
    for entry in registry:
        assert entry.description.strip()
        assert entry.input.get("type") == "object", entry.name
        assert entry.input.get("required"), f"{entry.name}: an input without required fields"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not readable JSON"),
        ('{"description": "x", "input": {}}', "expected exactly the keys"),
        ('{"description": "", "input": {}, "output": {}}', "non-empty string"),
        ('{"description": "x", "input": {"type": 5}, "output": {}}', "'input' is not a valid"),
    ],
)
def test_a_malformed_schema_file_is_refused_naming_the_file(
    tmp_path: Path, content: str, problem: str
) -> None:
    (tmp_path / "broken.json").write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError, match=problem) as raised:
        ActivityRegistry.from_folder(tmp_path)
    assert "broken.json" in str(raised.value)


def test_the_input_check_names_every_field_at_fault() -> None:
    with pytest.raises(ActivityInputInvalid) as raised:
        default_registry().check_input("escalate", {"documentId": 7, "deadline": "", "revision": 1})
    assert raised.value.errors == [
        ("at", "is required"),
        ("deadline", "'' should be non-empty"),
        ("documentId", "7 is not of type 'string'"),
    ]
    assert "input of activity 'escalate'" in str(raised.value)


def test_an_activity_without_a_schema_file_is_not_checked() -> None:
    default_registry().check_input("no_such_activity", object())


def test_the_error_name_in_a_workflow_is_activity_input_invalid_and_is_never_retried() -> None:
    with pytest.raises(ActivityInputInvalid) as raised:
        default_registry().check_input("remove_draft", {})
    fields = failure_fields(raised.value, "Activity function 'remove_draft'")
    error = error_from_failure(Exception(f"{fields['Reason']} \n {fields['Details']}"))
    assert error.name == "Activity.InputInvalid"
    assert "documentId: is required" in error.cause
    assert RetryPolicy(errors=("*",)).retries("Activity.InputInvalid") is False
    assert RetryPolicy(errors=("Activity.InputInvalid",)).retries("Activity.InputInvalid") is False
    assert RetryPolicy(errors=("*",)).retries("Task.Failed") is True


def test_a_checked_blueprint_checks_before_the_body_runs_with_the_same_name_and_signature() -> None:
    ran: list[Any] = []
    blueprint = CheckedBlueprint()

    @blueprint.activity_trigger(input_name="draft")
    def remove_draft(draft: dict[str, Any]) -> str:
        ran.append(draft)
        return "done"

    app = df.DFApp()
    app.register_functions(blueprint)
    (registered,) = app.get_functions()
    assert registered.get_function_name() == "remove_draft"
    function = registered.get_user_function()  # what the host calls
    assert list(inspect.signature(function).parameters) == ["draft"]
    with pytest.raises(ActivityInputInvalid):
        function(draft={"documentId": "d"})
    with pytest.raises(ActivityInputInvalid):
        function({"documentId": "d"})  # positional, as test benches call it
    assert ran == []
    assert (
        function(draft={"documentId": "d", "at": "2026-01-01T00:00:00Z", "revision": 1}) == "done"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(default_registry().names)), value=json_values)
def test_any_json_input_passes_or_fails_with_a_bounded_named_error(name: str, value: Any) -> None:
    errors = default_registry().get(name).input_errors(value)  # type: ignore[union-attr]
    assert all(field and message for field, message in errors)
    assert all(len(message) <= 200 for _, message in errors)
    if errors:
        with pytest.raises(ActivityInputInvalid):
            default_registry().check_input(name, value)
    else:
        default_registry().check_input(name, value)


def test_a_huge_input_gives_a_short_message() -> None:
    with pytest.raises(ActivityInputInvalid) as raised:
        default_registry().check_input("remove_draft", "x" * 100_000)
    assert len(str(raised.value)) < 400


# --- the validator ------------------------------------------------------------------------


def _definition(states: dict[str, Any]) -> dict[str, Any]:
    return {"name": "checked", "version": "1.0.0", "startAt": next(iter(states)), "states": states}


def _input_diagnostics(document: dict[str, Any]) -> list[tuple[str, str]]:
    registry = default_registry()
    found = validate_document(document, activities=registry.names, registry=registry)
    return [
        (d.pointer, d.message)
        for d in found
        if d.code in ("activity.input-invalid", "activity.unknown")
    ]


def test_a_constant_input_that_breaks_the_schema_is_reported_field_by_field() -> None:
    found = _input_diagnostics(
        _definition(
            {
                "Undo": {
                    "type": "task",
                    "activity": "remove_draft",
                    "input": {"documentId": 42},
                    "end": True,
                }
            }
        )
    )
    assert found == [
        ("/states/Undo/input", "activity 'remove_draft': at: is required"),
        ("/states/Undo/input", "activity 'remove_draft': revision: is required"),
        ("/states/Undo/input", "activity 'remove_draft': documentId: 42 is not of type 'string'"),
    ]


def test_a_template_is_checked_for_the_fields_it_will_have() -> None:
    found = _input_diagnostics(
        _definition(
            {
                "Load": {
                    "type": "task",
                    "activity": "load_workflow_definition",
                    "input": {"name.$": "$.input.name", "version": 3},
                    "next": "Undo",
                },
                "Undo": {
                    "type": "task",
                    "activity": "remove_draft",
                    "input": {"documentId.$": "$.input.id", "at.$": "$.system.now", "revision": 1},
                    "compensate": {
                        "activity": "restore_index",
                        "input": {"at": "now", "revision": 1},
                    },
                    "end": True,
                },
            }
        )
    )
    assert found == [
        ("/states/Load/input", "activity 'load_workflow_definition': workflow: is required"),
        (
            "/states/Load/input/name.$",
            "activity 'load_workflow_definition' takes no field 'name' (fields: version, workflow)",
        ),
        (
            "/states/Load/input/version",
            "activity 'load_workflow_definition': version: 3 is not of type 'string', 'null'",
        ),
        ("/states/Undo/compensate/input", "activity 'restore_index': documentId: is required"),
    ]


def test_unknown_activities_are_reported_by_the_registry() -> None:
    found = _input_diagnostics(
        _definition(
            {"Typo": {"type": "task", "activity": "remove_drafts", "input": {}, "end": True}}
        )
    )
    assert len(found) == 1
    assert found[0][0] == "/states/Typo/activity"
    assert "'remove_drafts' is not registered" in found[0][1]


def test_the_repository_workflows_pass_the_registry_checks() -> None:
    for path in (REPO / "workflows").glob("*.json"):
        assert _input_diagnostics(json.loads(path.read_text(encoding="utf-8"))) == [], path


def test_the_cli_reports_a_constant_input_that_breaks_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "bad.json"
    definition.write_text(
        json.dumps(
            _definition(
                {
                    "Undo": {
                        "type": "task",
                        "activity": "remove_draft",
                        "input": {"documentId": "d"},
                        "end": True,
                    }
                }
            )
        ),
        encoding="utf-8",
    )

    assert validate_main(["validate", "--app-dir", str(REPO), str(definition)]) == 1
    out = capsys.readouterr().out
    assert (
        "activity.input-invalid at /states/Undo/input: activity 'remove_draft': at: is "
        "required" in out
    )
