"""Errors of the workflow language and how activity failures get their names.

Hierarchy::

    WorkflowError              an error a workflow can retry or catch: name + cause
    ├ PathNotFound             ``Path.NotFound``: a JSONPath matched nothing
    ├ WorkflowFailed           a ``fail`` state or an unhandled error ended the run
    └ TransitionLimit          ``Workflow.TransitionLimit``: never caught, always ends the run
    ExpressionError            a template, path or intrinsic that does not compile

An activity exception reaches the orchestrator as a plain ``Exception`` whose text is the
Durable history's ``"<Reason> \\n <Details>"``; :func:`error_from_failure` recovers the error
name from that text (see docs/workflow-language.md, "Error names"), and the wait an activity
asks for before a retry when its message ends in ``[retry-after <n>s]`` (``http_request`` on a
429 or 503 with ``Retry-After``). The text is in the history, so replays read the same.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

__all__ = [
    "ACTIVITY_INPUT_INVALID",
    "NON_RETRYABLE",
    "TASK_FAILED",
    "ExpressionError",
    "PathNotFound",
    "TransitionLimit",
    "WorkflowError",
    "WorkflowFailed",
    "error_from_failure",
    "split_error_text",
]

TASK_FAILED = "Task.Failed"
TASK_TIMEOUT = "Task.Timeout"
PATH_NOT_FOUND = "Path.NotFound"
INPUT_INVALID = "Input.Invalid"
TRANSITION_LIMIT = "Workflow.TransitionLimit"
DEFINITION_CHANGED = "Definition.Changed"
NO_CHOICE = "Choice.NoMatch"
MAP_ITEMS = "Map.ItemsNotList"
INTRINSIC_FAILED = "Intrinsic.Failed"
ACTIVITY_INPUT_INVALID = "Activity.InputInvalid"
HTTP_DESTINATION_NOT_ALLOWED = "Http.DestinationNotAllowed"
# Errors a retry policy never retries, even with "*": the same attempt would fail the same way.
NON_RETRYABLE = frozenset({ACTIVITY_INPUT_INVALID, HTTP_DESTINATION_NOT_ALLOWED})
# The end of a failure message asking for a wait before the next attempt.
_RETRY_AFTER = re.compile(r"\[retry-after (\d{1,6})s\]\s*$")


class WorkflowError(Exception):
    """An error inside a workflow run: ``name`` is what ``retry``/``catch`` filters match."""

    def __init__(
        self,
        name: str,
        cause: str,
        details: dict[str, Any] | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(f"{name}: {cause}")
        self.name = name
        self.cause = cause
        self.details = details or {}
        self.retry_after = retry_after  # the least wait before a retry, when the error asks

    def to_json(self) -> dict[str, Any]:
        """The error as workflow data: what ``catch`` writes to its ``resultPath``."""
        return {"error": self.name, "cause": self.cause, **self.details}


class PathNotFound(WorkflowError):
    """A JSONPath without the optional marker ``?`` matched nothing."""

    def __init__(self, path: str) -> None:
        super().__init__(PATH_NOT_FOUND, f"path {path} matched nothing")
        self.path = path


class WorkflowFailed(WorkflowError):
    """Raised by a ``fail`` state; ends the workflow Failed unless an enclosing state catches."""


class TransitionLimit(WorkflowError):
    """More transitions than ``limits.maxTransitions``: a runaway loop. Never caught."""

    def __init__(self, limit: int) -> None:
        super().__init__(TRANSITION_LIMIT, f"more than {limit} state transitions")


class ExpressionError(ValueError):
    """A template, JSONPath or intrinsic call that does not parse."""


# Host wrappers seen around a Python exception's "<Type>: <message>" line: the Durable
# extension's "Activity function 'x' failed: ...", the Functions host's "Result: Failure /
# Exception: <Type>: <message> / Stack: ...", and the SDK's "<Reason> \n <Details>" join.
_HOST_WORDS = {"Result", "Exception", "Stack", "Error", "Details", "Reason", "Message"}
_NAMED_LINE = re.compile(
    r"^\s*(?:Exception:\s*)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*):\s?(.*)$"
)
_FAILED_PREFIX = re.compile(
    r"^\s*(?:(?:Activity|Orchestrator) function '[^']*' failed:?\s*"
    r"|Function '[^']*' failed(?: with an unhandled exception)?\.?:?\s*)"
)


_BARE_EXCEPTION = re.compile(r"^\s*(?:Exception|Error):\s*")


def split_error_text(text: str) -> tuple[str, str] | None:
    """Find ``"<Name>: <message>"`` in a failure text, or ``None`` when no line carries a name.

    Lines are tried in order after removing the host's own prefixes; words the host itself
    uses as labels (``Result:``, ``Stack:``) are skipped, and ``Exception: X: m`` yields ``X``.
    """
    for raw_line in text.splitlines():
        line = _FAILED_PREFIX.sub("", raw_line)
        match = _NAMED_LINE.match(line)
        if match is None:
            continue
        name, message = match.group(1), match.group(2).strip()
        if name in _HOST_WORDS:
            # "Exception: <message>" without a type, or a label line: keep looking.
            continue
        return name, message
    return None


def error_from_failure(exc: BaseException) -> WorkflowError:
    """Turn a failed Durable task's exception into a named :class:`WorkflowError`.

    The SDK raises ``Exception("<Reason> \\n <Details>")`` for a failed activity or
    sub-orchestration. The name is the Python class name of the activity's exception (or the
    child workflow's error name); a failure without one is ``Task.Failed``.
    """
    if isinstance(exc, WorkflowError):
        return exc
    text = str(exc)
    reason, _, details = text.partition(" \n ")
    found = split_error_text(reason) or split_error_text(details)
    if found is None:
        message = _first_line(reason) or _first_line(details) or type(exc).__name__
        message = _BARE_EXCEPTION.sub("", _FAILED_PREFIX.sub("", message)).strip() or message
        return WorkflowError(TASK_FAILED, message)
    name, message = found
    cause = _first_line(message) or name
    asked = _RETRY_AFTER.search(cause)
    return WorkflowError(
        name, cause, retry_after=timedelta(seconds=int(asked.group(1))) if asked else None
    )


def _first_line(text: str) -> str:
    cut = text.split("\n\n$OutOfProcData$:", 1)[0]
    return cut.strip().splitlines()[0].strip() if cut.strip() else ""
