"""The drafting step: reflect, classify, score, render, store; and the final rendering.

Functions take their adapters as arguments. Blob names derive from the document id and
revision only (``<documentId>/<revision>/draft.docx``, ``/draft.json``, ``/final.docx``), so a
retried activity overwrites the same blobs, and rendering is repeatable, so it writes the same
bytes; a later revision never touches an earlier one's files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from typing import Any

from adapters.blob import BlobStore
from adapters.errors import NotFoundError
from adapters.library import DOCX_CONTENT_TYPE
from adapters.sources import SourceDatabases
from services.drafting.approval_record import ApprovalRecord
from services.drafting.classification import Classification, ColumnFinding, classify
from services.drafting.errors import DraftNotFound, InvalidDraftRequest, UnknownObject
from services.drafting.model import DraftRequest, ObjectDescription
from services.drafting.quality import QualityScore, score_documentation
from services.drafting.reflection import describe_from_dictionary, reflect_object
from services.drafting.rendering import DocumentContent, FinalRecord, render_document

__all__ = [
    "DOCUMENTS_CONTAINER",
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
_SNAPSHOT_VERSION = 1


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
) -> dict[str, Any]:
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
    content_hash = _content_hash(content)
    snapshot = {
        "snapshotVersion": _SNAPSHOT_VERSION,
        "request": request.to_json(),
        "description": description.to_json(),
        "classification": content.classification.to_json(),
        "quality": content.quality.to_json(),
        "generatedAt": generated_at.isoformat(),
        "draftSha256": draft_sha256,
        "contentHash": content_hash,
    }
    metadata = {"documentId": request.document_id, "stage": "draft", "sha256": draft_sha256}
    revision = request.revision
    blobs.put(
        container,
        snapshot_blob_name(request.document_id, revision),
        json.dumps(snapshot, indent=2, sort_keys=True).encode("utf-8"),
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
    return {
        **request.to_json(),
        "objectKind": description.kind,
        "exists": description.exists,
        "retired": request.change_type == "Dropped",
        "columnCount": len(description.columns),
        "sensitiveData": list(content.classification.categories),
        "personalData": content.classification.personal_data,
        "financialData": content.classification.financial_data,
        "qualityScore": content.quality.score,
        "quality": content.quality.to_json(),
        "container": container,
        "blobName": draft_blob_name(request.document_id, revision),
        "snapshotBlobName": snapshot_blob_name(request.document_id, revision),
        "sha256": draft_sha256,
        "size": len(document),
        "contentHash": content_hash,
        "draftUrl": blobs.url(container, draft_blob_name(request.document_id, revision)),
        "libraryPath": library_path(request.database_name, request.physical_name),
    }


def render_final(
    document_id: str,
    approval: Any,
    *,
    blobs: BlobStore,
    generated_at: datetime,
    container: str = DOCUMENTS_CONTAINER,
    revision: int = 1,
) -> dict[str, Any]:
    """Render the approved document from the draft's snapshot and store it as ``final.docx``.

    ``approval`` is the approval record (see ``ApprovalRecord``); the document carries it
    with the content hash and the SHA-256 of the draft the approvers saw.
    """
    record = ApprovalRecord.from_json(approval)
    snapshot = read_snapshot(blobs, container, document_id, revision)
    content = _content_from_snapshot(snapshot)
    final = FinalRecord(
        approval=record, content_hash=snapshot["contentHash"], draft_sha256=snapshot["draftSha256"]
    )
    document = render_document(content, generated_at, final)
    sha256 = hashlib.sha256(document).hexdigest()
    blobs.put(
        container,
        final_blob_name(document_id, revision),
        document,
        content_type=DOCX_CONTENT_TYPE,
        metadata={"documentId": document_id, "stage": "final", "sha256": sha256},
    )
    request = content.request
    return {
        "documentId": document_id,
        "databaseName": request.database_name,
        "physicalName": request.physical_name,
        "container": container,
        "blobName": final_blob_name(document_id, revision),
        "sha256": sha256,
        "size": len(document),
        "contentHash": snapshot["contentHash"],
        "draftSha256": snapshot["draftSha256"],
        "libraryPath": library_path(request.database_name, request.physical_name),
    }


def delete_draft(
    document_id: str, *, blobs: BlobStore, container: str = DOCUMENTS_CONTAINER, revision: int = 1
) -> dict[str, Any]:
    """Compensation of ``draft_document``: remove the draft and its snapshot (idempotent)."""
    names = [draft_blob_name(document_id, revision), snapshot_blob_name(document_id, revision)]
    deleted = [name for name in names if blobs.delete(container, name)]
    return {"documentId": document_id, "deleted": deleted}


def delete_final(
    document_id: str, *, blobs: BlobStore, container: str = DOCUMENTS_CONTAINER, revision: int = 1
) -> dict[str, Any]:
    """Compensation of ``render_final`` (idempotent)."""
    deleted = [n for n in [final_blob_name(document_id, revision)] if blobs.delete(container, n)]
    return {"documentId": document_id, "deleted": deleted}


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


def _content_hash(content: DocumentContent) -> str:
    """SHA-256 of the documented facts in canonical JSON, independent of the .docx bytes."""
    facts = {
        "request": content.request.to_json(),
        "description": content.description.to_json(),
        "classification": content.classification.to_json(),
        "quality": content.quality.to_json(),
    }
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_snapshot(
    blobs: BlobStore, container: str, document_id: str, revision: int = 1
) -> dict[str, Any]:
    """The draft's snapshot: request, description, classification, quality and hashes."""
    name = snapshot_blob_name(document_id, revision)
    try:
        stored = blobs.get(container, name)
    except NotFoundError as error:
        raise DraftNotFound(
            f"document {document_id} has no draft snapshot ({container}/{name}): draft it first"
        ) from error
    snapshot: dict[str, Any] = json.loads(stored.content)
    if snapshot.get("snapshotVersion") != _SNAPSHOT_VERSION:
        raise InvalidDraftRequest(
            f"draft snapshot of {document_id} has version {snapshot.get('snapshotVersion')!r}; "
            f"expected {_SNAPSHOT_VERSION}"
        )
    return snapshot


def _content_from_snapshot(snapshot: dict[str, Any]) -> DocumentContent:
    quality = snapshot["quality"]
    return DocumentContent(
        request=DraftRequest.from_json(snapshot["request"]),
        description=ObjectDescription.from_json(snapshot["description"]),
        classification=Classification(
            tuple(
                ColumnFinding(f["column"], f["category"], f["reason"])
                for f in snapshot["classification"]["findings"]
            )
        ),
        quality=QualityScore(
            score=quality["score"],
            object_described=quality["objectDescribed"],
            columns_described=quality["columnsDescribed"],
            columns=quality["columns"],
            undescribed_columns=tuple(quality["undescribedColumns"]),
        ),
    )
