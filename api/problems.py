"""HTTP answers of the API: JSON bodies and RFC 9457 ``application/problem+json`` errors.

Every error the API answers is a problem document; a ``ServiceError`` maps to its own status
and title (``InvalidInput`` also names the ``field``); a database or outside service that
fails is a 503 with ``Retry-After``; anything unexpected a 500 whose detail hides internals
(the exception is logged instead).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
from sqlalchemy.exc import OperationalError

from adapters.errors import RemoteServiceError
from services import InvalidInput, ServiceError

__all__ = [
    "JSON",
    "PROBLEM_JSON",
    "answer_json",
    "json_response",
    "problem_for",
    "problem_response",
    "query_int",
]

log = logging.getLogger(__name__)

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


def json_response(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, indent=2), status_code=status, mimetype=JSON, charset="utf-8"
    )


def problem_for(error: Exception, instance: str | None = None) -> dict[str, Any]:
    """The problem document of ``error``; unexpected errors are logged and kept vague."""
    if isinstance(error, ServiceError):
        problem = error.to_problem(instance)
        if isinstance(error, InvalidInput):
            problem["field"] = error.field
        return problem
    if isinstance(error, OperationalError | RemoteServiceError):
        # The database or an outside service is down or busy: the request may succeed later.
        log.warning("a dependency failed answering %s: %s", instance, error)
        problem = {
            "type": "urn:problem:ServiceUnavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": "a service this request needs did not answer; try again in a moment",
        }
        if instance is not None:
            problem["instance"] = instance
        return problem
    log.error("unexpected error answering %s", instance, exc_info=error)
    problem = {
        "type": "urn:problem:InternalError",
        "title": "Internal error",
        "status": 500,
        "detail": "the request could not be completed; the error was logged",
    }
    if instance is not None:
        problem["instance"] = instance
    return problem


def problem_response(error: Exception, instance: str | None = None) -> func.HttpResponse:
    problem = problem_for(error, instance)
    headers = {"Retry-After": "5"} if problem["status"] == 503 else None
    return func.HttpResponse(
        json.dumps(problem, indent=2),
        status_code=problem["status"],
        mimetype=PROBLEM_JSON,
        charset="utf-8",
        headers=headers,
    )


def answer_json(req: func.HttpRequest, produce: Callable[[], Any]) -> func.HttpResponse:
    """200 with ``produce()`` as JSON, or the problem of whatever it raised."""
    try:
        return json_response(produce())
    except Exception as error:  # every failure becomes a problem document
        return problem_response(error, _path(req.url))


def query_int(req: func.HttpRequest, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``; anything else names the parameter."""
    text = req.params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InvalidInput(name, f"expected an integer from {low} to {high}, got {text!r}")
    return value


def _path(url: str) -> str:
    """The request path (the problem's ``instance``), without host or query."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]
