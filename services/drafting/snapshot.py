"""The draft's snapshot (``<documentId>/<revision>/draft.json``): what the approvers saw.

The final document is rendered from the snapshot, not from the database again, so it says
exactly what was approved even if the object changed meanwhile. The snapshot is a stored
record of this service, written and read only here, and its facts are what the content hash
is computed over; so its shape is fixed here, field by field (version 1), rather than
following the edges' JSON encoder: a change of the wire must not change the hash of the same
facts or make older snapshots unreadable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.drafting.classification import Classification, ColumnFinding
from services.drafting.errors import InvalidDraftRequest
from services.drafting.model import DraftRequest, ObjectDescription
from services.drafting.quality import QualityScore
from services.drafting.rendering import DocumentContent

__all__ = ["SNAPSHOT_VERSION", "Snapshot", "content_hash", "decode_snapshot", "encode_snapshot"]

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stored draft snapshot: the documented facts and the hashes that pin them."""

    content: DocumentContent
    generated_at: datetime
    draft_sha256: str  # of the draft .docx the approvers were shown
    content_hash: str  # of the facts, independent of the .docx bytes


def _facts(content: DocumentContent) -> dict[str, Any]:
    request, quality = content.request, content.quality
    return {
        "request": {
            "documentId": request.document_id,
            "physicalName": request.physical_name,
            "databaseName": request.database_name,
            "changeType": request.change_type,
            "requestedBy": request.requested_by,
            "revision": request.revision,
        },
        # snake_case, as version 1 stored it: ObjectDescription.from_json reads it back.
        "description": dataclasses.asdict(content.description),
        "classification": {
            "personalData": content.classification.personal_data,
            "financialData": content.classification.financial_data,
            "findings": [
                {"column": f.column, "category": f.category, "reason": f.reason}
                for f in content.classification.findings
            ],
        },
        "quality": {
            "score": quality.score,
            "objectDescribed": quality.object_described,
            "columnsDescribed": quality.columns_described,
            "columns": quality.columns,
            "undescribedColumns": list(quality.undescribed_columns),
        },
    }


def content_hash(content: DocumentContent) -> str:
    """SHA-256 of the documented facts in canonical JSON, independent of the .docx bytes."""
    canonical = json.dumps(
        _facts(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The snapshot as the JSON stored beside the draft."""
    stored = {
        "snapshotVersion": SNAPSHOT_VERSION,
        **_facts(snapshot.content),
        "generatedAt": snapshot.generated_at.isoformat(),
        "draftSha256": snapshot.draft_sha256,
        "contentHash": snapshot.content_hash,
    }
    return json.dumps(stored, indent=2, sort_keys=True).encode("utf-8")


def decode_snapshot(data: bytes, document_id: str) -> Snapshot:
    """Read a stored snapshot back; another format version is refused, naming both."""
    stored: dict[str, Any] = json.loads(data)
    if stored.get("snapshotVersion") != SNAPSHOT_VERSION:
        raise InvalidDraftRequest(
            f"draft snapshot of {document_id} has version {stored.get('snapshotVersion')!r}; "
            f"expected {SNAPSHOT_VERSION}"
        )
    quality = stored["quality"]
    content = DocumentContent(
        request=DraftRequest.from_json(stored["request"]),
        description=ObjectDescription.from_json(stored["description"]),
        classification=Classification(
            tuple(
                ColumnFinding(f["column"], f["category"], f["reason"])
                for f in stored["classification"]["findings"]
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
    return Snapshot(
        content=content,
        generated_at=datetime.fromisoformat(stored["generatedAt"]),
        draft_sha256=stored["draftSha256"],
        content_hash=stored["contentHash"],
    )
