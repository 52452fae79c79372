"""Drafting: the draft document and the final one, and their compensations."""

from __future__ import annotations

from typing import Any

from services import assess_draft, update_document
from services.drafting import DraftRequest, delete_draft, delete_final, draft_document, render_final

from ._blueprint import blueprint, current, field, moment, payload, record


@blueprint.activity_trigger(input_name="request")
def generate_draft(request: Any) -> dict[str, Any]:
    """Reflect the object, render the .docx, store it (event ``drafted``)."""
    data = payload(request)
    rt, at = current(), moment(data)
    summary = draft_document(DraftRequest.from_json(dict(data)), sources=rt.adapters.sources,
                             blobs=rt.adapters.blobs, generated_at=at)
    document_id = summary["documentId"]
    update_document(rt.adapters.database, document_id,
                    {"status": "drafted", "draftUrl": summary["draftUrl"]}, at)
    record(rt, document_id, "drafted", {k: summary[k] for k in (
        "objectKind", "columnCount", "sensitiveData", "qualityScore", "sha256", "blobName")},
        at)
    return summary


@blueprint.activity_trigger(input_name="draft")
def remove_draft(draft: Any) -> dict[str, Any]:
    """Compensation of ``generate_draft``: delete the draft (event ``draft-removed``)."""
    data = payload(draft)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    result = delete_draft(document_id, blobs=rt.adapters.blobs)
    update_document(rt.adapters.database, document_id, {"draftUrl": None}, at)
    record(rt, document_id, "draft-removed", result, at)
    return result


@blueprint.activity_trigger(input_name="summary")
def assess_document(summary: Any) -> dict[str, Any]:
    """Tier, SLA, route and approvers from the policy tables (event ``assessed``)."""
    data = payload(summary)
    rt, at = current(), moment(data)
    assessment = assess_draft(rt.adapters.database, dict(data))
    record(rt, field(data, "documentId"), "assessed", assessment, at)
    return assessment


@blueprint.activity_trigger(input_name="approval")
def generate_final(approval: Any) -> dict[str, Any]:
    """Render the approved document with its approval record and hash (event ``finalized``)."""
    data = payload(approval)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    final = render_final(document_id, data.get("record"), blobs=rt.adapters.blobs,
                         generated_at=at)
    url = rt.adapters.blobs.url(final["container"], final["blobName"])
    update_document(rt.adapters.database, document_id, {"finalUrl": url}, at)
    record(rt, document_id, "finalized", {k: final[k] for k in (
        "sha256", "contentHash", "draftSha256", "blobName")}, at)
    return {**final, "finalUrl": url}


@blueprint.activity_trigger(input_name="final")
def remove_final(final: Any) -> dict[str, Any]:
    """Compensation of ``generate_final`` (event ``final-removed``)."""
    data = payload(final)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    result = delete_final(document_id, blobs=rt.adapters.blobs)
    update_document(rt.adapters.database, document_id, {"finalUrl": None}, at)
    record(rt, document_id, "final-removed", result, at)
    return result
