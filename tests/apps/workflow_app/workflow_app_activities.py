"""Activities of the second test app: small, observable side effects.

Attempts and compensations are counted in module state so tests can see how often an
activity really ran (devhost runs activities in this process).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import azure.durable_functions as df
from ballot_rule import tally

blueprint = df.Blueprint()

ATTEMPTS: Counter[str] = Counter()
UNDONE: list[Any] = []
RELEASE = threading.Event()  # lets a test end the ``stall`` activity


class Flaky(Exception):
    """A transient failure; retried by the definitions that list it."""


class ApprovalRejected(Exception):
    """A business rejection; the workflow sees the error name ``ApprovalRejected``."""


class UndoFailed(Exception):
    """A compensation that cannot undo its step."""


@blueprint.activity_trigger(input_name="request")
def flaky(request: dict[str, Any]) -> str:
    """Fail ``failures`` times per ``key``, then succeed."""
    key = str(request["key"])
    ATTEMPTS[key] += 1
    if ATTEMPTS[key] <= int(request["failures"]):
        raise Flaky(f"attempt {ATTEMPTS[key]} of {key} failed")
    return f"{key} done after {ATTEMPTS[key]} attempts"


@blueprint.activity_trigger(input_name="request")
def reject(request: dict[str, Any]) -> None:
    raise ApprovalRejected(str(request.get("reason", "rejected")))


@blueprint.activity_trigger(input_name="request")
def make(request: dict[str, Any]) -> str:
    return f"made-{request['step']}"


@blueprint.activity_trigger(input_name="request")
def undo(request: dict[str, Any]) -> str:
    UNDONE.append(request)
    if request.get("fail"):
        raise UndoFailed(f"cannot undo {request['what']}")
    return f"undid {request['what']}"


@blueprint.activity_trigger(input_name="request")
def echo(request: Any) -> Any:
    return request


@blueprint.activity_trigger(input_name="request")
def notify(request: dict[str, Any]) -> dict[str, Any]:
    return {"roles": request["roles"], "decided": {}, "decision": "pending"}


@blueprint.activity_trigger(input_name="request")
def record_vote(request: dict[str, Any]) -> dict[str, Any]:
    return tally(request["ballot"], request["vote"])


@blueprint.activity_trigger(input_name="request")
def escalate(request: dict[str, Any]) -> str:
    return f"escalated {request['ballot']['roles']}"


@blueprint.activity_trigger(input_name="request")
def fail_plain(request: Any) -> None:
    """Fail with a bare ``Exception``: an error without a name (``Task.Failed``)."""
    raise Exception("something broke")  # deliberately unnamed


@blueprint.activity_trigger(input_name="request")
def stall(request: Any) -> str:
    """Runs until the test releases it (at most two minutes): a task that outlives its timeout."""
    RELEASE.wait(timeout=120)
    return "finished late"
