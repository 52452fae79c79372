"""Serving a draft document from blob storage (the approval page links to it)."""

from __future__ import annotations

import azure.functions as func

from adapters import BlobStore, NotFoundError
from services import NotFound
from services.drafting import DOCUMENTS_CONTAINER, draft_blob_name

__all__ = ["draft_exists", "draft_response"]


def draft_exists(blobs: BlobStore, document_id: str, revision: int) -> bool:
    return blobs.exists(DOCUMENTS_CONTAINER, draft_blob_name(document_id, revision))


def draft_response(
    blobs: BlobStore, document_id: str, revision: int, physical_name: str | None
) -> func.HttpResponse:
    """The draft ``.docx`` of a document revision as an attachment; ``NotFound`` once it is
    deleted (or not drafted)."""
    try:
        blob = blobs.get(DOCUMENTS_CONTAINER, draft_blob_name(document_id, revision))
    except NotFoundError:
        raise NotFound(f"document {document_id} has no draft") from None
    filename = f"{physical_name or document_id}-draft.docx"
    return func.HttpResponse(
        blob.content,
        status_code=200,
        mimetype=blob.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
