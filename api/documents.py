"""Where a document stands (``GET /api/documents/{documentId}``) and its draft."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from api._blueprint import blueprint
from api.drafts import draft_response
from api.problems import answer_json, problem_response
from runtime import runtime
from services import document_record, document_view
from services.ids import canonical_document_id

__all__ = ["document_draft", "document_status"]


def _status(document_id: str) -> dict[str, Any]:
    current = runtime()
    view = document_view(current.adapters.database, document_id, datetime.now(UTC),
                         current.public_base_url)
    # links.draft is the blob's own URL (not readable without storage rights); this one is.
    view["links"]["draftDownload"] = (
        f"{current.public_base_url}/api/documents/{document_id}/draft"
        if view["links"]["draft"] else None)
    return view


@blueprint.route(route="documents/{documentId}", methods=["GET"])
def document_status(req: func.HttpRequest) -> func.HttpResponse:
    """Status, approval (waiting for whom, deadline, votes), links, master-index entry."""
    return answer_json(req, lambda: _status(canonical_document_id(
        req.route_params["documentId"])))


@blueprint.route(route="documents/{documentId}/draft", methods=["GET"])
def document_draft(req: func.HttpRequest) -> func.HttpResponse:
    """The draft ``.docx``; 404 for an unknown document or one whose draft is gone."""
    document_id = canonical_document_id(req.route_params["documentId"])
    try:
        current = runtime()
        record = document_record(current.adapters.database, document_id)
        return draft_response(current.adapters.blobs, document_id, record["revision"],
                              record["physicalName"])
    except Exception as error:  # every failure becomes a problem document
        return problem_response(error, f"/api/documents/{document_id}/draft")
