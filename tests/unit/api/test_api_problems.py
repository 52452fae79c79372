"""Errors into problem documents; query parameters checked with the parameter named."""

from __future__ import annotations

import json
import logging

import azure.functions as func
import pytest

from api.problems import answer_json, problem_for, query_int
from services import DecisionConflict, Gone, InvalidInput, NotFound


def request(url: str = "http://h/api/things/1?x=1", **params: str) -> func.HttpRequest:
    return func.HttpRequest("GET", url, params=params, body=b"")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFound("no document 'x'"), 404, "NotFound"),
        (Gone("ended"), 410, "Gone"),
        (DecisionConflict("already approved"), 409, "DecisionConflict"),
    ],
)
def test_service_errors_keep_their_status_and_name(
    error: Exception, status: int, code: str
) -> None:
    problem = problem_for(error, "/api/things/1")
    assert (problem["status"], problem["type"], problem["instance"]) == (
        status,
        f"urn:problem:{code}",
        "/api/things/1",
    )
    assert "field" not in problem


def test_invalid_input_names_the_field() -> None:
    problem = problem_for(InvalidInput("limit", "expected 1 to 500"))
    assert (problem["status"], problem["field"]) == (400, "limit")
    assert problem["detail"] == "limit: expected 1 to 500"


def test_unexpected_errors_are_logged_and_say_nothing_of_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.problems"):
        problem = problem_for(RuntimeError("password=hunter2 at db.internal"), "/api/x")
    assert problem["status"] == 500
    assert "hunter2" not in json.dumps(problem)
    assert "hunter2" in caplog.text


def test_answer_json_turns_what_was_raised_into_a_problem_response() -> None:
    def missing() -> None:
        raise NotFound("no document 'abc'")

    answer = answer_json(request(), missing)
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert json.loads(answer.get_body())["instance"] == "/api/things/1"
    ok = answer_json(request(), lambda: {"a": 1})
    assert (ok.status_code, ok.mimetype, json.loads(ok.get_body())) == (
        200,
        "application/json",
        {"a": 1},
    )


@pytest.mark.parametrize(("text", "expected"), [(None, 50), ("", 50), ("7", 7), ("500", 500)])
def test_query_int_reads_a_bounded_integer(text: str | None, expected: int) -> None:
    params = {} if text is None else {"limit": text}
    assert query_int(request(**params), "limit", 50, 1, 500) == expected


@pytest.mark.parametrize("text", ["0", "501", "ten", "1.5", "-3"])
def test_query_int_refuses_anything_else_naming_the_parameter(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        query_int(request(limit=text), "limit", 50, 1, 500)
    assert caught.value.field == "limit"
