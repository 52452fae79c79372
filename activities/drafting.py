"""Drafting: the draft document and the final one, and their compensations."""

from __future__ import annotations

from typing import Any

from services import assess_draft
from services.drafting import DraftRequest, delete_draft, delete_final, draft_document, render_final
from wire import to_json

from ._blueprint import Step, blueprint

_DRAFTED = ("objectKind", "columnCount", "sensitiveData", "qualityScore", "sha256", "blobName")
_FINALIZED = ("sha256", "contentHash", "draftSha256", "blobName")


@blueprint.activity_trigger(input_name="request")
def generate_draft(request: Any) -> dict[str, Any]:
    """Reflect the object, render the .docx, store it (event ``drafted``)."""
    step = Step.of(request)
    summary = to_json(
        draft_document(
            DraftRequest.from_json(dict(step.data)),
            sources=step.adapters.sources,
            blobs=step.adapters.blobs,
            generated_at=step.at,
        )
    )
    step.commit(
        {"status": "drafted", "draftUrl": summary["draftUrl"]},
        "drafted",
        {k: summary[k] for k in _DRAFTED},
    )
    return summary


@blueprint.activity_trigger(input_name="draft")
def remove_draft(draft: Any) -> dict[str, Any]:
    """Compensation of ``generate_draft``: delete the draft (event ``draft-removed``)."""
    step = Step.of(draft)
    result = to_json(
        delete_draft(step.document_id, blobs=step.adapters.blobs, revision=step.revision)
    )
    step.commit({"draftUrl": None}, "draft-removed", result)
    return result


@blueprint.activity_trigger(input_name="summary")
def assess_document(summary: Any) -> dict[str, Any]:
    """Tier, SLA, route and approvers from the policy tables (event ``assessed``)."""
    step = Step.of(summary)
    assessment = to_json(
        assess_draft(step.db, {k: v for k, v in step.data.items() if k != "revision"})
    )
    step.record("assessed", assessment)
    return assessment


@blueprint.activity_trigger(input_name="approval")
def generate_final(approval: Any) -> dict[str, Any]:
    """Render the approved document with its approval record and hash (event ``finalized``)."""
    step = Step.of(approval)
    final = to_json(
        render_final(
            step.document_id,
            step.data.get("record"),
            blobs=step.adapters.blobs,
            generated_at=step.at,
            revision=step.revision,
        )
    )
    url = step.adapters.blobs.url(final["container"], final["blobName"])
    step.commit({"finalUrl": url}, "finalized", {k: final[k] for k in _FINALIZED})
    return {**final, "finalUrl": url}


@blueprint.activity_trigger(input_name="final")
def remove_final(final: Any) -> dict[str, Any]:
    """Compensation of ``generate_final`` (event ``final-removed``)."""
    step = Step.of(final)
    result = to_json(
        delete_final(step.document_id, blobs=step.adapters.blobs, revision=step.revision)
    )
    step.commit({"finalUrl": None}, "final-removed", result)
    return result
