"""Filing the approved document to the document library, and taking it out again."""

from __future__ import annotations

from typing import Any

from services import update_document
from services.drafting import file_document, unfile_document

from ._blueprint import blueprint, current, field, moment, payload, record


@blueprint.activity_trigger(input_name="document")
def file_to_library(document: Any) -> dict[str, Any]:
    """Upload the final document as a new version (event ``filed``)."""
    data = payload(document)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    filed = file_document(document_id, blobs=rt.adapters.blobs, library=rt.adapters.library)
    update_document(rt.adapters.database, document_id,
                    {"status": "filed", "libraryUrl": filed["libraryUrl"]}, at)
    record(rt, document_id, "filed", filed, at)
    return filed


@blueprint.activity_trigger(input_name="filed")
def unfile_from_library(filed: Any) -> dict[str, Any]:
    """Compensation of ``file_to_library``: remove the version it made (event ``unfiled``)."""
    data = payload(filed)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    result = unfile_document(dict(data), library=rt.adapters.library)
    update_document(rt.adapters.database, document_id, {"libraryUrl": None}, at)
    record(rt, document_id, "unfiled", result, at)
    return result
