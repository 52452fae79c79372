"""The document's record: submission, and how it ends (requester mail, links closed)."""

from __future__ import annotations

from typing import Any

from services import close_approval, document_record, register_document, update_document
from services.notifications import send_outcome

from ._blueprint import blueprint, current, field, moment, payload, record

_OUTCOMES = {"approved": "Approved", "rejected": "Rejected", "timed-out": "Timed out",
             "failed": "Failed"}


@blueprint.activity_trigger(input_name="change")
def register_submission(change: Any) -> dict[str, Any]:
    """Record the schema change as a submitted document (event ``submitted``)."""
    data = payload(change)
    rt, at = current(), moment(data)
    document = register_document(
        rt.adapters.database, document_id=field(data, "documentId"),
        instance_id=field(data, "instanceId"), database_name=field(data, "databaseName"),
        physical_name=field(data, "physicalName"), change_type=field(data, "changeType"),
        requested_by=field(data, "requestedBy"), now=at)
    record(rt, document["documentId"], "submitted",
           {k: data[k] for k in ("databaseName", "physicalName", "changeType", "requestedBy")},
           at)
    return document


@blueprint.activity_trigger(input_name="outcome")
def finish_document(outcome: Any) -> dict[str, Any]:
    """End the document: set its status, close open links and tell the requester."""
    data = payload(outcome)
    rt, at = current(), moment(data)
    document_id, status = field(data, "documentId"), field(data, "status")
    detail = str(data.get("detail") or "")
    engine = rt.adapters.database
    if status in ("timed-out", "failed"):
        close_approval(engine, document_id, "timed-out" if status == "timed-out"
                       else "cancelled", at)
    update_document(engine, document_id, {"status": status,
                                          **({"reason": detail} if detail else {})}, at)
    document = document_record(engine, document_id)
    mailed = None
    if data.get("notifyRequester", True):
        mailed = send_outcome(rt.adapters.mail, document, _OUTCOMES.get(status, status),
                              detail)
    record(rt, document_id, status, {"detail": detail, "requesterMailed": mailed}, at)
    return {"documentId": document_id, "status": status, "requesterMailed": mailed}
