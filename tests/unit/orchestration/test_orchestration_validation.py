"""The validator: every bad-definition case of the language page, all at once, never raising."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wf_harness import vote_loop

from orchestration.validation import CODES, validate_document, validate_text

REPO = Path(__file__).resolve().parents[3]


def good() -> dict[str, Any]:
    return {
        "name": "sample",
        "version": "1.0.0",
        "startAt": "Draft",
        "states": {
            "Draft": {
                "type": "task",
                "activity": "generate_draft",
                "input": {"id.$": "$.input.id"},
                "resultPath": "$.state.draft",
                "next": "Await",
            },
            "Await": {
                "type": "wait",
                "event": "approval",
                "timeout": {"duration": "PT48H"},
                "timeoutNext": "Done",
                "resultPath": "$.state.vote",
                "next": "Done",
            },
            "Done": {"type": "succeed"},
        },
    }


def codes(document: Any, activities: set[str] | None = None) -> list[tuple[str, str]]:
    return [(d.code, d.pointer) for d in validate_document(document, activities=activities)]


def test_good_definitions_have_no_diagnostics() -> None:
    assert validate_document(good(), activities={"generate_draft"}) == []
    assert validate_document(vote_loop(), activities={"notify", "record_vote", "escalate"}) == []


def test_invalid_json() -> None:
    [diagnostic] = validate_text('{"name": ')
    assert diagnostic.code == "json.invalid"
    assert diagnostic.pointer == ""


def test_duplicate_keys_including_duplicate_state_names() -> None:
    text = json.dumps(good())
    text = text.replace(
        '"Done": {"type": "succeed"}',
        '"Done": {"type": "succeed"}, "Done": {"type": "succeed", "type": "fail"}',
    )
    found = [(d.code, d.pointer, d.message) for d in validate_text(text)]
    assert (
        "json.duplicate-key",
        "/states/Done",
        "duplicate state name 'Done': JSON keeps only the last one",
    ) in found
    assert (
        "json.duplicate-key",
        "/states/Done/type",
        "duplicate key 'type': JSON keeps only the last one",
    ) in found


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("startAt"), ("schema.violation", "")),
        (lambda d: d.update(version="one"), ("schema.violation", "/version")),
        (lambda d: d.update(name="Bad Name"), ("schema.violation", "/name")),
        (
            lambda d: d["states"]["Draft"].update(type="teleport"),
            ("schema.violation", "/states/Draft/type"),
        ),
        (lambda d: d["states"]["Draft"].pop("activity"), ("schema.violation", "/states/Draft")),
        (
            lambda d: d["states"]["Draft"].update(retry={"maxAttempts": 0}),
            ("schema.violation", "/states/Draft/retry/maxAttempts"),
        ),
        (
            lambda d: d["states"]["Await"].update(timeout={"duration": "soon"}),
            ("schema.violation", "/states/Await/timeout/duration"),
        ),
        (lambda d: d["states"]["Draft"].update(unknown=1), ("schema.violation", "/states/Draft")),
    ],
)
def test_schema_violations(mutate: Any, expected: tuple[str, str]) -> None:
    document = good()
    mutate(document)
    assert expected in codes(document)


def test_start_at_naming_a_missing_state() -> None:
    document = good()
    document["startAt"] = "Nowhere"
    assert ("state.missing", "/startAt") in codes(document)


@pytest.mark.parametrize(
    ("field", "pointer"),
    [
        (("Draft", "next"), "/states/Draft/next"),
        (("Await", "timeoutNext"), "/states/Await/timeoutNext"),
    ],
)
def test_next_naming_a_missing_state(field: tuple[str, str], pointer: str) -> None:
    document = good()
    document["states"][field[0]][field[1]] = "Ghost"
    assert ("state.missing", pointer) in codes(document)


def test_choice_and_catch_targets_are_checked() -> None:
    document = good()
    document["states"]["Pick"] = {
        "type": "choice",
        "default": "Ghost1",
        "choices": [{"when": {"path": "$.input.x", "equals": 1}, "next": "Ghost2"}],
    }
    document["states"]["Draft"]["catch"] = [{"errors": ["*"], "next": "Ghost3"}]
    document["states"]["Draft"]["next"] = "Pick"
    found = codes(document)
    assert ("state.missing", "/states/Pick/default") in found
    assert ("state.missing", "/states/Pick/choices/0/next") in found
    assert ("state.missing", "/states/Draft/catch/0/next") in found


def test_unreachable_state() -> None:
    document = good()
    document["states"]["Orphan"] = {"type": "succeed"}
    assert ("state.unreachable", "/states/Orphan") in codes(document)


def test_no_reachable_end() -> None:
    document = good()
    document["states"]["Await"]["timeoutNext"] = "Draft"
    document["states"]["Await"]["next"] = "Draft"
    assert ("workflow.no-end", "/startAt") in codes(document)


def test_loop_without_wait_or_task() -> None:
    document = good()
    document["states"]["Draft"]["next"] = "Spin"
    document["states"]["Spin"] = {"type": "pass", "next": "Check"}
    document["states"]["Check"] = {
        "type": "choice",
        "default": "Spin",
        "choices": [{"when": {"path": "$.state.x", "equals": 1}, "next": "Await"}],
    }
    found = [d for d in validate_document(document) if d.code == "loop.no-wait"]
    assert [(d.pointer, d.severity) for d in found] == [("/states/Spin", "error")]
    assert "Spin -> Check" in found[0].message


def test_loop_with_a_wait_is_fine() -> None:
    assert not [d for d in validate_document(vote_loop()) if d.code == "loop.no-wait"]


def test_unknown_activity_including_compensations() -> None:
    document = good()
    document["states"]["Draft"]["compensate"] = {"activity": "delete_draftt"}
    found = codes(document, activities={"generate_draft", "delete_draft"})
    assert found == [("activity.unknown", "/states/Draft/compensate/activity")]
    assert codes(document, activities=None) == []


@pytest.mark.parametrize(
    ("where", "value", "pointer"),
    [
        (("Draft", "input"), {"id.$": "$.input[?("}, "/states/Draft/input/id.$"),
        (("Draft", "input"), {"when.$": "addDuration($.a)"}, "/states/Draft/input/when.$"),
        (("Draft", "input"), "$.input..[", "/states/Draft/input"),
    ],
)
def test_jsonpath_that_does_not_parse(where: tuple[str, str], value: Any, pointer: str) -> None:
    document = good()
    document["states"][where[0]][where[1]] = value
    assert ("path.invalid", pointer) in codes(document)


def test_bad_paths_in_conditions_waits_and_map() -> None:
    document = good()
    document["states"]["Draft"]["next"] = "Pick"
    document["states"]["Pick"] = {
        "type": "choice",
        "default": "Await",
        "choices": [
            {"when": {"path": "$.x[", "equals": 1}, "next": "Await"},
            {"when": {"path": "$.x", "equals.$": "nope"}, "next": "Await"},
            {"when": {"path": "$.x", "matches": "("}, "next": "Await"},
            {"when": {"path": "$.x"}, "next": "Await"},
        ],
    }
    document["states"]["Await"]["timeout"] = {"until.$": "$.["}
    found = codes(document)
    assert ("path.invalid", "/states/Pick/choices/0/when/path") in found
    assert ("path.invalid", "/states/Pick/choices/1/when/equals.$") in found
    assert ("regex.invalid", "/states/Pick/choices/2/when/matches") in found
    assert ("condition.invalid", "/states/Pick/choices/3/when") in found
    assert ("path.invalid", "/states/Await/timeout/until.$") in found


def test_result_path_outside_state() -> None:
    document = good()
    document["states"]["Draft"]["resultPath"] = "$.input.draft"
    document["states"]["Draft"]["catch"] = [
        {"errors": ["*"], "next": "Done", "resultPath": "$.system.x"}
    ]
    found = codes(document)
    assert ("resultPath.outside-state", "/states/Draft/resultPath") in found
    assert ("resultPath.outside-state", "/states/Draft/catch/0/resultPath") in found
    assert not [
        c for c in found if c[0] == "schema.violation"
    ]  # reported once, with the clear code


def test_event_wait_without_timeout_is_a_warning() -> None:
    document = good()
    del document["states"]["Await"]["timeout"]
    del document["states"]["Await"]["timeoutNext"]
    [diagnostic] = validate_document(document)
    assert (diagnostic.code, diagnostic.pointer, diagnostic.severity) == (
        "wait.no-timeout",
        "/states/Await/event",
        "warning",
    )


def test_nested_branches_and_iterators_are_checked_with_their_pointers() -> None:
    document = good()
    document["states"]["Draft"]["next"] = "Fan"
    document["states"]["Fan"] = {
        "type": "parallel",
        "next": "Each",
        "branches": [{"startAt": "Missing", "states": {"A": {"type": "succeed"}}}],
    }
    document["states"]["Each"] = {
        "type": "map",
        "items": "$.input.items",
        "next": "Await",
        "iterator": {"startAt": "I", "states": {"I": {"type": "pass", "next": "I"}}},
    }
    found = codes(document)
    assert ("state.missing", "/states/Fan/branches/0/startAt") in found
    assert ("loop.no-wait", "/states/Each/iterator/states/I") in found
    assert ("workflow.no-end", "/states/Each/iterator/startAt") in found


def test_every_problem_is_reported_at_once() -> None:
    document = good()
    document["states"]["Draft"]["resultPath"] = "$.input.x"
    document["states"]["Draft"]["next"] = "Ghost"
    document["states"]["Orphan"] = {"type": "succeed"}
    found = {code for code, _ in codes(document, activities=set())}
    assert {
        "resultPath.outside-state",
        "state.missing",
        "state.unreachable",
        "activity.unknown",
    } <= found


def test_every_code_is_documented() -> None:
    page = (REPO / "docs" / "workflow-language.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"`{code}`" in page, code


# --- never raises -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
STATE_KEYS = [
    "type",
    "next",
    "end",
    "activity",
    "input",
    "resultPath",
    "retry",
    "timeout",
    "catch",
    "compensate",
    "result",
    "duration",
    "until",
    "event",
    "timeoutNext",
    "choices",
    "default",
    "branches",
    "items",
    "iterator",
    "maxConcurrency",
    "failFast",
    "workflow",
    "version",
    "output",
    "error",
    "cause",
    "cause.$",
    "until.$",
    "duration.$",
    "when",
    "path",
    "equals",
    "and",
    "or",
    "not",
    "startAt",
    "states",
    "errors",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text: str) -> None:
    result = validate_text(text)
    assert all(d.code in CODES and d.code != "validator.internal" for d in result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_never_raises_on_any_json(value: Any) -> None:
    for result in (validate_document(value), validate_text(json.dumps(value))):
        assert all(d.code in CODES and d.code != "validator.internal" for d in result)


@st.composite
def mutated_definitions(draw: Any) -> Any:
    document = copy.deepcopy(vote_loop())
    for _ in range(draw(st.integers(1, 6))):
        names = list(document["states"])
        state = document["states"][draw(st.sampled_from(names))]
        key = draw(st.sampled_from(STATE_KEYS))
        if draw(st.booleans()) and key in state:
            del state[key]
        else:
            state[key] = draw(
                json_values | st.sampled_from([*names, "$.x", "$.state.y", "now()", "$["])
            )
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_definitions())
def test_never_raises_on_mutated_definitions(document: Any) -> None:
    result = validate_document(document, activities={"notify"})
    assert all(d.code in CODES and d.code != "validator.internal" for d in result)


# --- the command line --------------------------------------------------------------------

APP = """
import azure.durable_functions as df
import orchestration
app = df.DFApp()
app.register_functions(orchestration.blueprint)

@app.activity_trigger(input_name="x")
def generate_draft(x):
    return x
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the callers assert on the exit status
        [sys.executable, "-m", "orchestration", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_cli_reports_every_diagnostic_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text(APP)
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "ok.json").write_text(json.dumps(good()))
    bad = good()
    bad["states"]["Draft"]["activity"] = "generate_drafts"
    bad["states"]["Draft"]["resultPath"] = "$.input.x"
    (folder / "bad.json").write_text(json.dumps(bad))
    result = run_cli("--app-dir", str(tmp_path), str(folder), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f"{folder / 'ok.json'}: ok" in lines
    assert any(
        "activity.unknown at /states/Draft/activity" in line and "generate_drafts" in line
        for line in lines
    )
    assert any("resultPath.outside-state at /states/Draft/resultPath" in line for line in lines)
    assert (
        run_cli("--app-dir", str(tmp_path), str(folder / "ok.json"), cwd=tmp_path).returncode == 0
    )


def test_cli_without_a_loadable_app_warns_and_still_validates(tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text("raise RuntimeError('broken app')\n")
    path = tmp_path / "x.json"
    path.write_text(json.dumps(good()))
    result = run_cli(str(path), cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: app.unavailable" in result.stderr
    assert "broken app" in result.stderr
    (tmp_path / "y.json").write_text("{not json")
    assert run_cli("--no-app", str(tmp_path / "y.json"), cwd=tmp_path).returncode == 1
