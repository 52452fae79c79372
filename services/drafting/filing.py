"""Filing: put the approved document into the document library, and take it out again.

Filing uploads the stored ``final.docx`` to ``Documentation/<database>/<physicalName>.docx``
as a new version. Libraries skip an upload whose bytes equal the current version, so a
retried filing activity does not add a second version. ``unfile_document`` is the
compensation: it removes exactly the version filing made.
"""

from __future__ import annotations

from dataclasses import dataclass
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

__all__ = ["FiledDocument", "UnfiledVersion", "file_document", "unfile_document"]


@dataclass(frozen=True, slots=True)
class FiledDocument:
    """The library version filing made (or found, on a retry) for a document."""

    document_id: str
    library_path: str
    version_id: str
    library_url: str
    size: int


@dataclass(frozen=True, slots=True)
class UnfiledVersion:
    """What ``unfile_document`` removed, and the file's URL while an earlier version is left."""

    library_path: str
    version_id: str
    removed: bool  # False: already removed by an earlier run of the compensation
    current_url: str | None


def file_document(
    document_id: str,
    *,
    blobs: BlobStore,
    library: DocumentLibrary,
    container: str = DOCUMENTS_CONTAINER,
    revision: int = 1,
) -> FiledDocument:
    """Upload the final document as the library file's next version."""
    request = read_snapshot(blobs, container, document_id, revision).content.request
    name = final_blob_name(document_id, revision)
    try:
        final = blobs.get(container, name)
    except NotFoundError as error:
        raise DraftNotFound(
            f"document {document_id} has no final rendering ({container}/{name}): render it first"
        ) from error
    path = library_path(request.database_name, request.physical_name)
    version = library.upload(path, final.content, content_type=DOCX_CONTENT_TYPE)
    return FiledDocument(
        document_id=document_id,
        library_path=path,
        version_id=version.version_id,
        library_url=version.url,
        size=version.size,
    )


def unfile_document(filed: Any, *, library: DocumentLibrary) -> UnfiledVersion:
    """Compensation of ``file_document``: remove the version it made (idempotent).

    ``filed`` is ``file_document``'s result as JSON, as the workflow passes it on
    (``libraryPath`` and ``versionId`` are used).
    """
    if not isinstance(filed, dict) or not all(
        isinstance(filed.get(k), str) and filed.get(k) for k in ("libraryPath", "versionId")
    ):
        raise InvalidDraftRequest(
            "filed must be file_document's result with libraryPath and versionId strings"
        )
    removed = library.remove_version(filed["libraryPath"], filed["versionId"])
    left = library.versions(filed["libraryPath"])
    return UnfiledVersion(
        library_path=filed["libraryPath"],
        version_id=filed["versionId"],
        removed=removed,
        current_url=left[-1].url if left else None,
    )
