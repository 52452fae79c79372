"""The document's record: submission, and how it ends (requester mail, links closed)."""

from __future__ import annotations

from typing import Any

from services import close_approval, document_record, register_document, update_document
from services.notifications import send_outcome

from ._blueprint import Step, blueprint

_OUTCOMES = {"approved": "Approved", "rejected": "Rejected", "timed-out": "Timed out",
             "failed": "Failed"}
_SUBMISSION = ("databaseName", "physicalName", "changeType", "requestedBy")


@blueprint.activity_trigger(input_name="change")
def register_submission(change: Any) -> dict[str, Any]:
    """Record the schema change as a submitted document (event ``submitted``)."""
    step = Step.of(change)
    document = register_document(
        step.db, document_id=step.document_id, instance_id=step.text("instanceId"),
        database_name=step.text("databaseName"), physical_name=step.text("physicalName"),
        change_type=step.text("changeType"), requested_by=step.text("requestedBy"),
        now=step.at)
    step.record("submitted", {k: step.data[k] for k in _SUBMISSION})
    return document


@blueprint.activity_trigger(input_name="outcome")
def finish_document(outcome: Any) -> dict[str, Any]:
    """End the document: set its status, close open links and tell the requester."""
    step = Step.of(outcome)
    status, detail = step.text("status"), str(step.data.get("detail") or "")
    if status in ("timed-out", "failed"):
        close_approval(step.db, step.document_id,
                       "timed-out" if status == "timed-out" else "cancelled", step.at)
    update_document(step.db, step.document_id,
                    {"status": status, **({"reason": detail} if detail else {})}, step.at)
    mailed = None
    if step.data.get("notifyRequester", True):
        mailed = send_outcome(step.adapters.mail, document_record(step.db, step.document_id),
                              _OUTCOMES.get(status, status), detail)
    step.record(status, {"detail": detail, "requesterMailed": mailed})
    return {"documentId": step.document_id, "status": status, "requesterMailed": mailed}
