"""The document's record: its revision's start, how it ends, and telling the requester.

Ending a revision and telling the requester are separate steps on purpose: the outcome is
committed first (status, links closed, audit event in one transaction), and a mail that cannot
be sent is recorded as ``requester-not-notified``; it never reverses the outcome.
"""

from __future__ import annotations

from typing import Any

from adapters.errors import AdapterConfigurationError
from services import (
    InvalidInput,
    close_in,
    derive_id,
    document_record,
    end_revision,
    start_revision,
)
from services.approval.notifications import requester_address, send_outcome
from services.text import header_text
from wire import to_json

from ._blueprint import Step, blueprint

_OUTCOMES = {
    "approved": "Approved",
    "rejected": "Rejected",
    "timed-out": "Timed out",
    "failed": "Failed",
}
_SUBMISSION = ("databaseName", "physicalName", "changeType", "requestedBy")
# Error names whose cause is written for people (it names the object or field); any other
# failure is reported to the requester without internals, which stay in the audit trail.
_EXPLAINED_ERRORS = (
    "UnknownObject",
    "UnknownDatabase",
    "InvalidDraftRequest",
    "InvalidInput",
    "Task.Timeout",
    "Workflow.TransitionLimit",
)


@blueprint.activity_trigger(input_name="change")
def register_submission(change: Any) -> dict[str, Any]:
    """Start the document's revision for this run (event ``submitted``): revision 1 for a new
    document, the next one for a document whose previous run ended."""
    step = Step.of(change)
    document = start_revision(
        step.db,
        document_id=step.document_id,
        instance_id=step.text("instanceId"),
        run_id=derive_id("run", step.text("runId")),
        database_name=step.text("databaseName"),
        physical_name=step.text("physicalName"),
        change_type=step.text("changeType"),
        requested_by=step.text("requestedBy"),
        now=step.at,
    )
    step.at_revision(document.revision).record(
        "submitted",
        {
            **{k: step.data[k] for k in _SUBMISSION},
            "previousRevision": document.previous_revision,
        },
    )
    result: dict[str, Any] = to_json(document)
    return result


def _detail(step: Step, status: str) -> str:
    """What the requester reads about the outcome."""
    if status != "failed":
        return header_text(str(step.data.get("detail") or ""), 2000)
    error = step.data.get("error")
    error = error if isinstance(error, dict) else {}
    name, cause = str(error.get("error") or ""), str(error.get("cause") or "")
    if name in _EXPLAINED_ERRORS and cause:
        return header_text(f"The document could not be completed: {cause}", 2000)
    return (
        f"The document could not be completed because of an internal error "
        f"({name or 'unknown'}). Nothing of this revision was kept. Operators can see the "
        f"cause in the audit trail of document {step.document_id}."
    )


@blueprint.activity_trigger(input_name="outcome")
def finish_document(outcome: Any) -> dict[str, Any]:
    """End the revision: its status, its open links closed, its event (``approved``,
    ``rejected``, ``timed-out`` or ``failed``, with the error), all in one transaction."""
    step = Step.of(outcome)
    status = step.text("status")
    if status not in _OUTCOMES:
        raise InvalidInput("status", f"expected one of {', '.join(_OUTCOMES)}")
    detail = _detail(step, status)
    closing = {"timed-out": "timed-out", "failed": "cancelled"}.get(status)

    def close_and_end(conn: Any) -> None:
        if closing is not None:
            close_in(conn, step.document_id, closing, step.at, revision=step.revision)
        end_revision(conn, step.document_id, step.revision, status, detail or None, step.at)

    error = step.data.get("error")
    step.commit(
        None,
        status,
        {"detail": detail, **({"error": error} if isinstance(error, dict) else {})},
        also=close_and_end,
    )
    return {
        "documentId": step.document_id,
        "revision": step.revision,
        "status": status,
        "outcome": _OUTCOMES[status],
        "detail": detail,
    }


@blueprint.activity_trigger(input_name="notice")
def notify_requester(notice: Any) -> dict[str, Any]:
    """Mail the requester how the revision ended (event ``requester-notified``).

    A requester nobody can mail (a user name and no ``REQUESTER_MAIL_DOMAIN``, an address the
    mail adapter refuses) is recorded as ``requester-not-notified`` and is not a failure. A
    transport failure raises, so the workflow's retry policy tries again.
    """
    step = Step.of(notice)
    status = step.text("status")
    document = document_record(step.db, step.document_id)
    outcome = _OUTCOMES.get(status, status)
    try:
        to = requester_address(document.requested_by, step.rt.settings.get("REQUESTER_MAIL_DOMAIN"))
        mailed = send_outcome(
            step.adapters.mail,
            document,
            outcome,
            str(step.data.get("detail") or ""),
            to=to,
            revision=step.revision,
            base_url=step.rt.public_base_url,
        )
    except (InvalidInput, AdapterConfigurationError) as error:
        reason = getattr(error, "detail", None) or str(error)
        step.record("requester-not-notified", {"status": status, "reason": reason})
        return {"requesterMailed": None, "reason": reason}
    step.record("requester-notified", {"status": status, "to": mailed})
    return {"requesterMailed": mailed}


@blueprint.activity_trigger(input_name="failure")
def record_notice_failure(failure: Any) -> dict[str, Any]:
    """The requester's mail failed after every retry: recorded, the outcome stands
    (event ``requester-not-notified``)."""
    step = Step.of(failure)
    error = step.data.get("error")
    error = error if isinstance(error, dict) else {}
    reason = header_text(f"{error.get('error', 'Task.Failed')}: {error.get('cause', '')}", 500)
    step.record("requester-not-notified", {"status": step.text("status"), "reason": reason})
    return {"requesterMailed": None, "reason": reason}
