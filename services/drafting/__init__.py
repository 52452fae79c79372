"""Drafting: turn a schema change into a data-dictionary document in blob storage.

``draft_document`` reflects the object from its source database, classifies its columns
(personal, financial), scores how well it is documented, renders a .docx and stores it;
``render_final`` renders the approved document with its approval record and content hash;
``file_document`` puts it into the document library (``unfile_document`` takes it out).
The pieces (reflection, classification, quality, rendering) are usable on their own.
"""

from __future__ import annotations

from services.drafting.approval_record import ApprovalRecord, Vote
from services.drafting.classification import (
    FINANCIAL,
    PERSONAL,
    Classification,
    ColumnFinding,
    classify,
    classify_column,
)
from services.drafting.errors import (
    DraftingError,
    DraftNotFound,
    InvalidDraftRequest,
    UnknownDatabase,
    UnknownObject,
)
from services.drafting.filing import FiledDocument, UnfiledVersion, file_document, unfile_document
from services.drafting.model import (
    ColumnDescription,
    DraftRequest,
    ForeignKeyDescription,
    IndexDescription,
    ObjectDescription,
)
from services.drafting.quality import QualityScore, score_documentation
from services.drafting.reflection import describe_from_dictionary, reflect_object
from services.drafting.rendering import DocumentContent, FinalRecord, render_document
from services.drafting.service import (
    DOCUMENTS_CONTAINER,
    DeletedBlobs,
    Draft,
    FinalDocument,
    delete_draft,
    delete_final,
    draft_blob_name,
    draft_document,
    final_blob_name,
    library_path,
    read_snapshot,
    render_final,
    snapshot_blob_name,
)
from services.drafting.snapshot import Snapshot

__all__ = [
    "DOCUMENTS_CONTAINER",
    "FINANCIAL",
    "PERSONAL",
    "ApprovalRecord",
    "Classification",
    "ColumnDescription",
    "ColumnFinding",
    "DeletedBlobs",
    "DocumentContent",
    "Draft",
    "DraftNotFound",
    "DraftRequest",
    "DraftingError",
    "FiledDocument",
    "FinalDocument",
    "FinalRecord",
    "ForeignKeyDescription",
    "IndexDescription",
    "InvalidDraftRequest",
    "ObjectDescription",
    "QualityScore",
    "Snapshot",
    "UnfiledVersion",
    "UnknownDatabase",
    "UnknownObject",
    "Vote",
    "classify",
    "classify_column",
    "delete_draft",
    "delete_final",
    "describe_from_dictionary",
    "draft_blob_name",
    "draft_document",
    "file_document",
    "final_blob_name",
    "library_path",
    "read_snapshot",
    "reflect_object",
    "render_document",
    "render_final",
    "score_documentation",
    "snapshot_blob_name",
    "unfile_document",
]
