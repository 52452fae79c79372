"""Filing: put the approved document into the document library, and take it out again.

Filing uploads the stored ``final.docx`` to ``Documentation/<database>/<physicalName>.docx``
as a new version. Libraries skip an upload whose bytes equal the current version, so a
retried filing activity does not add a second version. ``unfile_document`` is the
compensation: it removes exactly the version filing made.
"""

from __future__ import annotations

from typing import Any

from adapters.blob import BlobStore
from adapters.errors import NotFoundError
from adapters.library import DOCX_CONTENT_TYPE, DocumentLibrary
from services.drafting.errors import DraftNotFound, InvalidDraftRequest
from services.drafting.service import (
    DOCUMENTS_CONTAINER,
    final_blob_name,
    library_path,
    read_snapshot,
)

__all__ = ["file_document", "unfile_document"]


def file_document(
    document_id: str,
    *,
    blobs: BlobStore,
    library: DocumentLibrary,
    container: str = DOCUMENTS_CONTAINER,
    revision: int = 1,
) -> dict[str, Any]:
    """Upload the final document; returns the library path, version id and URL."""
    request = read_snapshot(blobs, container, document_id, revision)["request"]
    name = final_blob_name(document_id, revision)
    try:
        final = blobs.get(container, name)
    except NotFoundError as error:
        raise DraftNotFound(
            f"document {document_id} has no final rendering ({container}/{name}): render it first"
        ) from error
    path = library_path(request["databaseName"], request["physicalName"])
    version = library.upload(path, final.content, content_type=DOCX_CONTENT_TYPE)
    return {
        "documentId": document_id,
        "libraryPath": path,
        "versionId": version.version_id,
        "libraryUrl": version.url,
        "size": version.size,
    }


def unfile_document(filed: Any, *, library: DocumentLibrary) -> dict[str, Any]:
    """Compensation of ``file_document``: remove the version it made (idempotent).

    ``filed`` is ``file_document``'s result (``libraryPath`` and ``versionId`` are used).
    Returns what was removed and ``currentUrl``: the file's URL while an earlier version is
    left (it is current again), else None.
    """
    if not isinstance(filed, dict) or not all(
        isinstance(filed.get(k), str) and filed.get(k) for k in ("libraryPath", "versionId")
    ):
        raise InvalidDraftRequest(
            "filed must be file_document's result with libraryPath and versionId strings"
        )
    removed = library.remove_version(filed["libraryPath"], filed["versionId"])
    left = library.versions(filed["libraryPath"])
    return {
        "libraryPath": filed["libraryPath"],
        "versionId": filed["versionId"],
        "removed": removed,
        "currentUrl": left[-1].url if left else None,
    }
