"""Paths, templates, intrinsics, conditions, durations and error names (pure code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestration.conditions import evaluate_condition
from orchestration.errors import ExpressionError, PathNotFound, WorkflowError, error_from_failure
from orchestration.expressions import compile_expression, evaluate_template
from orchestration.paths import compile_path, compile_result_path
from orchestration.timeutil import format_timestamp, parse_duration

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self) -> None:
        self.count = 0

    def now(self) -> datetime:
        return NOW

    def uuid(self) -> str:
        self.count += 1
        return f"uuid-{self.count}"


DOC: dict[str, Any] = {
    "input": {
        "documentId": "D-1",
        "tags": ["pii", "finance"],
        "n": 3,
        "owner": {"name": "Ann"},
        "items": [{"v": 1}, {"v": 2}],
    },
    "state": {"deadline": "2026-01-07T09:00:00Z", "count": 2, "flag": True, "empty": None},
    "system": {"instanceId": "i-1"},
}


def ev(text: str) -> Any:
    return compile_expression(text).evaluate(DOC, FixedClock())


# --- paths ----------------------------------------------------------------------------


def test_singular_and_multiple_paths() -> None:
    assert ev("$.input.owner.name") == "Ann"
    assert ev("$.input.tags[1]") == "finance"
    assert ev("$.input.items[*].v") == [1, 2]
    assert ev("$['input']['documentId']") == "D-1"
    assert ev("$.state.empty") is None  # present, null: not "not found"


def test_missing_path_is_path_not_found_unless_optional() -> None:
    with pytest.raises(PathNotFound) as raised:
        ev("$.input.nope")
    assert raised.value.name == "Path.NotFound"
    assert ev("$.input.nope?") is None
    assert ev("$.input.tags[9]?") is None


def test_path_that_does_not_parse() -> None:
    with pytest.raises(ExpressionError, match="does not parse"):
        compile_path("$.a[?(")
    with pytest.raises(ExpressionError, match="must start with"):
        compile_path("input.x")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("$.state", {"a": 1}, {"a": 1}),
        ("$.state.draft", "x", {"deadline": "d", "draft": "x"}),
        ("$.state.a.b", 1, {"deadline": "d", "a": {"b": 1}}),
        ("$.state['with space']", 2, {"deadline": "d", "with space": 2}),
    ],
)
def test_result_paths_write_inside_state(path: str, value: Any, expected: Any) -> None:
    document: dict[str, Any] = {"state": {"deadline": "d"}}
    compile_result_path(path).write(document, value)
    assert document["state"] == expected


@pytest.mark.parametrize("path", ["$.input.x", "$", "$.stateful", "$.state..x", "state.x"])
def test_result_paths_outside_state_are_refused(path: str) -> None:
    with pytest.raises(ExpressionError):
        compile_result_path(path)


# --- templates and intrinsics -----------------------------------------------------------


def test_template_keys_with_dollar_suffix_and_literals() -> None:
    template = {
        "id.$": "$.input.documentId",
        "kind": "draft",
        "literal": "$.not.a.path",
        "nested": {"n.$": "$.input.n", "list": [1, {"x.$": "$.state.count"}]},
    }
    assert evaluate_template(template, DOC, FixedClock()) == {
        "id": "D-1",
        "kind": "draft",
        "literal": "$.not.a.path",
        "nested": {"n": 3, "list": [1, {"x": 2}]},
    }


def test_bare_string_templates_are_expressions() -> None:
    assert evaluate_template("$.input.n", DOC, FixedClock()) == 3
    assert evaluate_template("length($.input.tags)", DOC, FixedClock()) == 2
    assert evaluate_template("plain text", DOC, FixedClock()) == "plain text"


def test_templates_return_fresh_copies() -> None:
    template = {"list": [1, 2]}
    first = evaluate_template(template, DOC, FixedClock())
    first["list"].append(3)
    assert evaluate_template(template, DOC, FixedClock()) == {"list": [1, 2]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("add($.input.n, 1)", 4),
        ("add($.input.n, -0.5)", 2.5),
        ("add(add($.input.n, $.state.count), 10)", 15),
        ("addDuration($.state.deadline, 'PT24H')", "2026-01-08T09:00:00Z"),
        ("addDuration(now(), 'P2D')", "2026-01-07T09:00:00Z"),
        (
            "format('Document {} has {} tags', $.input.documentId, length($.input.tags))",
            "Document D-1 has 2 tags",
        ),
        ("format('{}', $.input.owner)", '{"name": "Ann"}'),
        ("length($.input.owner)", 1),
        ("length('abc')", 3),
        ("merge($.input.owner, $.input.items[0])", {"name": "Ann", "v": 1}),
        ("now()", "2026-01-05T09:00:00Z"),
        ("uuid()", "uuid-1"),
    ],
)
def test_each_intrinsic(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


def test_merge_is_deep() -> None:
    doc = {"a": {"x": {"p": 1, "q": 2}}, "b": {"x": {"q": 3}, "y": 4}}
    assert compile_expression("merge($.a, $.b)").evaluate(doc, FixedClock()) == {
        "x": {"p": 1, "q": 3},
        "y": 4,
    }


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("nosuch(1)", "unknown intrinsic nosuch()"),
        ("length()", "takes 1 arguments"),
        ("format('a'", "missing ')'"),
        ("'just a string'", "expected a JSONPath"),
        ("now() extra", "unexpected"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_expression(expression)


def test_intrinsic_runtime_errors_are_named() -> None:
    with pytest.raises(WorkflowError) as raised:
        ev("addDuration($.input.n, 'PT1H')")
    assert raised.value.name == "Intrinsic.Failed"
    with pytest.raises(WorkflowError, match="placeholders"):
        ev("format('{} {}', 1)")
    for text in (
        "add($.input.n, 'one')",
        "add($.state.flag, 1)",
        "add($.input.tags, 1)",
        "add(1e308, 1e308)",
    ):
        with pytest.raises(WorkflowError) as raised:
            ev(text)
        assert raised.value.name == "Intrinsic.Failed", text


# --- conditions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"path": "$.input.n", "equals": 3}, True),
        ({"path": "$.state.flag", "equals": 1}, False),  # JSON true is not the number 1
        ({"path": "$.input.n", "notEquals": 4}, True),
        ({"path": "$.input.n", "greaterThan": 2}, True),
        ({"path": "$.input.n", "greaterThan": 3}, False),
        ({"path": "$.input.n", "greaterThanOrEquals": 3}, True),
        ({"path": "$.input.n", "lessThan": 3}, False),
        ({"path": "$.input.n", "lessThanOrEquals": 3}, True),
        ({"path": "$.input.n", "lessThan": "4"}, False),  # no number/string comparison
        ({"path": "$.state.deadline", "lessThan": "2026-01-07T10:00:00+00:00"}, True),  # as times
        ({"path": "$.input.tags", "contains": "pii"}, True),
        ({"path": "$.input.documentId", "contains": "-"}, True),
        ({"path": "$.input.owner", "contains": "name"}, True),
        ({"path": "$.input.n", "in": [1, 2, 3]}, True),
        ({"path": "$.input.n", "in": [4]}, False),
        ({"path": "$.input.documentId", "matches": "^D-\\d+$"}, True),
        ({"path": "$.input.n", "matches": "3"}, False),
        ({"path": "$.input.owner.name", "isPresent": True}, True),
        ({"path": "$.input.nope", "isPresent": True}, False),
        ({"path": "$.input.nope", "isPresent": False}, True),
        ({"path": "$.input.n", "equals.$": "$.state.count"}, False),
        ({"path": "$.state.count", "lessThan.$": "$.input.n"}, True),
        ({"path": "$.input.nope?", "equals": None}, True),
        (
            {"and": [{"path": "$.input.n", "equals": 3}, {"path": "$.state.flag", "equals": True}]},
            True,
        ),
        (
            {
                "and": [
                    {"path": "$.input.n", "equals": 3},
                    {"path": "$.state.flag", "equals": False},
                ]
            },
            False,
        ),
        (
            {"or": [{"path": "$.input.n", "equals": 0}, {"path": "$.state.flag", "equals": True}]},
            True,
        ),
        ({"not": {"path": "$.input.n", "equals": 3}}, False),
    ],
)
def test_condition_operators(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate_condition(condition, DOC, FixedClock()) is expected


def test_condition_on_missing_path_is_path_not_found() -> None:
    with pytest.raises(PathNotFound):
        evaluate_condition({"path": "$.input.nope", "equals": 1}, DOC, FixedClock())


# --- durations and error names -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT48H", timedelta(hours=48)),
        ("P5D", timedelta(days=5)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(seconds=0.5)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1Y", "P2M", "PT", "P", "30S", "", 5])
def test_bad_durations(text: Any) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)


def test_timestamps_format_in_utc() -> None:
    assert format_timestamp(datetime(2026, 1, 5, 10, 0, tzinfo=UTC)) == "2026-01-05T10:00:00Z"


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (
            "Activity function 'record_vote' failed: ApprovalRejected: vote rejected"
            " \n Traceback ...",
            "ApprovalRejected",
            "vote rejected",
        ),
        (
            "Activity function 'x' failed: Result: Failure\n"
            "Exception: ApprovalRejected: no\nStack: File",
            "ApprovalRejected",
            "no",
        ),
        (
            "Function 'x' failed with an unhandled exception. \n ValueError: bad value",
            "ValueError",
            "bad value",
        ),
        ("ApprovalRejected: plain \n ", "ApprovalRejected", "plain"),
        ("Rejected: by the board\n\n$OutOfProcData$:{}", "Rejected", "by the board"),
        ("Task.Timeout: no result within PT5S \n None", "Task.Timeout", "no result within PT5S"),
        (
            "The function 'nope' doesn't exist. \n ",
            "Task.Failed",
            "The function 'nope' doesn't exist.",
        ),
        ("something broke \n no name here either", "Task.Failed", "something broke"),
    ],
)
def test_error_names_from_failure_texts(text: str, name: str, message: str) -> None:
    error = error_from_failure(Exception(text))
    assert (error.name, error.cause) == (name, message)
