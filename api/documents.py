"""Where a document stands (``GET /api/documents/{documentId}``) and its draft."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from adapters.errors import NotFoundError
from adapters.library import DOCX_CONTENT_TYPE
from api._blueprint import blueprint
from api.drafts import draft_response
from api.problems import answer_json, problem_response, query_int
from runtime import runtime
from services import NotFound, document_record, document_view
from services.approval.filed_documents import filed_version
from services.ids import canonical_document_id
from wire import to_json

__all__ = ["document_draft", "document_file", "document_status"]


def _status(document_id: str) -> dict[str, Any]:
    current = runtime()
    view = document_view(
        current.adapters.database, document_id, datetime.now(UTC), current.public_base_url
    )
    body: dict[str, Any] = to_json(view)
    # links.draft is the blob's own URL (not readable without storage rights); this one is.
    body["links"]["draftDownload"] = (
        f"{current.public_base_url}/api/documents/{document_id}/draft" if view.links.draft else None
    )
    return body


@blueprint.route(route="documents/{documentId}", methods=["GET"])
def document_status(req: func.HttpRequest) -> func.HttpResponse:
    """Status, approval (waiting for whom, deadline, votes), links, master-index entry."""
    return answer_json(req, lambda: _status(canonical_document_id(req.route_params["documentId"])))


@blueprint.route(route="documents/{documentId}/draft", methods=["GET"])
def document_draft(req: func.HttpRequest) -> func.HttpResponse:
    """The draft ``.docx``; 404 for an unknown document or one whose draft is gone."""
    document_id = canonical_document_id(req.route_params["documentId"])
    try:
        current = runtime()
        record = document_record(current.adapters.database, document_id)
        return draft_response(
            current.adapters.blobs, document_id, record.revision, record.physical_name
        )
    except Exception as error:  # every failure becomes a problem document
        return problem_response(error, f"/api/documents/{document_id}/draft")


@blueprint.route(route="documents/{documentId}/file", methods=["GET"])
def document_file(req: func.HttpRequest) -> func.HttpResponse:
    """The library version a revision was filed as (``?revision=``, default the newest filed):
    what the requester's outcome mail links to, whatever the library's own URL is."""
    document_id = canonical_document_id(req.route_params["documentId"])
    try:
        revision = query_int(req, "revision", 0, 1, 10**6) or None
        current = runtime()
        filed = filed_version(current.adapters.database, document_id, revision)
        try:
            content = current.adapters.library.download(filed.library_path, filed.version_id)
        except NotFoundError:  # removed from the library by hand since
            raise NotFound(
                f"document {document_id}: version {filed.version_id} of "
                f"{filed.library_path} is no longer in the library"
            ) from None
    except Exception as error:  # every failure becomes a problem document
        return problem_response(error, f"/api/documents/{document_id}/file")
    filename = filed.library_path.rsplit("/", 1)[-1]
    return func.HttpResponse(
        content,
        status_code=200,
        mimetype=DOCX_CONTENT_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
