"""The drafting step: reflect, classify, score, render, store; and the final rendering.

Functions take their adapters as arguments. Blob names derive from the document id and
revision only (``<documentId>/<revision>/draft.docx``, ``/draft.json``, ``/final.docx``), so a
retried activity overwrites the same blobs, and rendering is repeatable, so it writes the same
bytes; a later revision never touches an earlier one's files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.blob import BlobStore
from adapters.errors import NotFoundError
from adapters.library import DOCX_CONTENT_TYPE
from adapters.sources import SourceDatabases
from services._fields import inline
from services.drafting.approval_record import ApprovalRecord
from services.drafting.classification import classify
from services.drafting.errors import DraftNotFound, UnknownObject
from services.drafting.model import DraftRequest, ObjectDescription
from services.drafting.quality import QualityScore, score_documentation
from services.drafting.reflection import describe_from_dictionary, reflect_object
from services.drafting.rendering import DocumentContent, FinalRecord, render_document
from services.drafting.snapshot import Snapshot, content_hash, decode_snapshot, encode_snapshot

__all__ = [
    "DOCUMENTS_CONTAINER",
    "DeletedBlobs",
    "Draft",
    "FinalDocument",
    "delete_draft",
    "delete_final",
    "draft_blob_name",
    "draft_document",
    "final_blob_name",
    "library_path",
    "read_snapshot",
    "render_final",
    "snapshot_blob_name",
]

DOCUMENTS_CONTAINER = "documents"


@dataclass(frozen=True, slots=True)
class Draft:
    """The stored draft: the request it answers, what drafting found, and where it is."""

    # The request's fields are the draft's own (documentId, physicalName, ...), not nested.
    request: DraftRequest = field(metadata=inline())
    object_kind: str
    exists: bool
    retired: bool  # the change dropped the object: the document records its retirement
    column_count: int
    sensitive_data: tuple[str, ...]
    personal_data: bool
    financial_data: bool
    quality_score: float
    quality: QualityScore
    container: str
    blob_name: str
    snapshot_blob_name: str
    sha256: str
    size: int
    content_hash: str
    draft_url: str
    library_path: str


@dataclass(frozen=True, slots=True)
class FinalDocument:
    """The stored final rendering and the hashes that tie it to the approved draft."""

    document_id: str
    database_name: str
    physical_name: str
    container: str
    blob_name: str
    sha256: str
    size: int
    content_hash: str
    draft_sha256: str
    library_path: str


@dataclass(frozen=True, slots=True)
class DeletedBlobs:
    """What a compensation removed: the blob names that were there (none on a retry)."""

    document_id: str
    deleted: tuple[str, ...]


def draft_blob_name(document_id: str, revision: int = 1) -> str:
    return f"{document_id}/{revision}/draft.docx"


def snapshot_blob_name(document_id: str, revision: int = 1) -> str:
    return f"{document_id}/{revision}/draft.json"


def final_blob_name(document_id: str, revision: int = 1) -> str:
    return f"{document_id}/{revision}/final.docx"


def library_path(database_name: str, physical_name: str) -> str:
    """Where the final document is filed: ``Documentation/<database>/<physicalName>.docx``."""
    return f"Documentation/{database_name}/{physical_name}.docx"


def draft_document(
    request: DraftRequest,
    *,
    sources: SourceDatabases,
    blobs: BlobStore,
    generated_at: datetime,
    container: str = DOCUMENTS_CONTAINER,
) -> Draft:
    """Describe the object, render the draft and store it with its snapshot.

    Raises ``UnknownDatabase`` or ``UnknownObject`` (a drop of a missing object is fine: the
    document then records its retirement from what the data dictionary still says).
    """
    engine = sources.engine(request.database_name)
    description = _describe(request, engine)
    content = DocumentContent(
        request=request,
        description=description,
        classification=classify(description),
        quality=score_documentation(description),
    )
    document = render_document(content, generated_at)
    draft_sha256 = hashlib.sha256(document).hexdigest()
    facts_hash = content_hash(content)
    snapshot = Snapshot(content, generated_at, draft_sha256, facts_hash)
    metadata = {"documentId": request.document_id, "stage": "draft", "sha256": draft_sha256}
    revision = request.revision
    blobs.put(
        container,
        snapshot_blob_name(request.document_id, revision),
        encode_snapshot(snapshot),
        content_type="application/json",
        metadata=metadata,
    )
    # The docx goes last: its presence means the draft is complete.
    blobs.put(
        container,
        draft_blob_name(request.document_id, revision),
        document,
        content_type=DOCX_CONTENT_TYPE,
        metadata=metadata,
    )
    return Draft(
        request=request,
        object_kind=description.kind,
        exists=description.exists,
        retired=request.change_type == "Dropped",
        column_count=len(description.columns),
        sensitive_data=content.classification.categories,
        personal_data=content.classification.personal_data,
        financial_data=content.classification.financial_data,
        quality_score=content.quality.score,
        quality=content.quality,
        container=container,
        blob_name=draft_blob_name(request.document_id, revision),
        snapshot_blob_name=snapshot_blob_name(request.document_id, revision),
        sha256=draft_sha256,
        size=len(document),
        content_hash=facts_hash,
        draft_url=blobs.url(container, draft_blob_name(request.document_id, revision)),
        library_path=library_path(request.database_name, request.physical_name),
    )


def render_final(
    document_id: str,
    approval: Any,
    *,
    blobs: BlobStore,
    generated_at: datetime,
    container: str = DOCUMENTS_CONTAINER,
    revision: int = 1,
) -> FinalDocument:
    """Render the approved document from the draft's snapshot and store it as ``final.docx``.

    ``approval`` is the approval record (see ``ApprovalRecord``); the document carries it
    with the content hash and the SHA-256 of the draft the approvers saw.
    """
    record = ApprovalRecord.from_json(approval)
    snapshot = read_snapshot(blobs, container, document_id, revision)
    final = FinalRecord(
        approval=record, content_hash=snapshot.content_hash, draft_sha256=snapshot.draft_sha256
    )
    document = render_document(snapshot.content, generated_at, final)
    sha256 = hashlib.sha256(document).hexdigest()
    blobs.put(
        container,
        final_blob_name(document_id, revision),
        document,
        content_type=DOCX_CONTENT_TYPE,
        metadata={"documentId": document_id, "stage": "final", "sha256": sha256},
    )
    request = snapshot.content.request
    return FinalDocument(
        document_id=document_id,
        database_name=request.database_name,
        physical_name=request.physical_name,
        container=container,
        blob_name=final_blob_name(document_id, revision),
        sha256=sha256,
        size=len(document),
        content_hash=snapshot.content_hash,
        draft_sha256=snapshot.draft_sha256,
        library_path=library_path(request.database_name, request.physical_name),
    )


def delete_draft(
    document_id: str, *, blobs: BlobStore, container: str = DOCUMENTS_CONTAINER, revision: int = 1
) -> DeletedBlobs:
    """Compensation of ``draft_document``: remove the draft and its snapshot (idempotent)."""
    names = [draft_blob_name(document_id, revision), snapshot_blob_name(document_id, revision)]
    return DeletedBlobs(document_id, tuple(name for name in names if blobs.delete(container, name)))


def delete_final(
    document_id: str, *, blobs: BlobStore, container: str = DOCUMENTS_CONTAINER, revision: int = 1
) -> DeletedBlobs:
    """Compensation of ``render_final`` (idempotent)."""
    name = final_blob_name(document_id, revision)
    return DeletedBlobs(document_id, (name,) if blobs.delete(container, name) else ())


def _describe(request: DraftRequest, engine: Any) -> ObjectDescription:
    try:
        description = reflect_object(engine, request.database_name, request.physical_name)
    except UnknownObject:
        if request.change_type != "Dropped":
            raise
        return describe_from_dictionary(engine, request.database_name, request.physical_name)
    if request.change_type == "Dropped":
        note = (
            f"The change says the object was dropped, but it still existed in "
            f"{request.database_name} when this record was drafted."
        )
        return dataclasses.replace(description, notes=(note,))
    return description


def read_snapshot(
    blobs: BlobStore, container: str, document_id: str, revision: int = 1
) -> Snapshot:
    """The draft's snapshot: request, description, classification, quality and hashes."""
    name = snapshot_blob_name(document_id, revision)
    try:
        stored = blobs.get(container, name)
    except NotFoundError as error:
        raise DraftNotFound(
            f"document {document_id} has no draft snapshot ({container}/{name}): draft it first"
        ) from error
    return decode_snapshot(stored.content, document_id)
