"""Render the data-dictionary document as a .docx, byte for byte repeatable.

The same content and time always give the same bytes: the core properties carry the given
time instead of the wall clock, and the zip entries get a fixed timestamp. So a retried
activity writes an identical blob and the draft's hash means something.

This module says what the document holds, section by section, to a ``DocumentWriter``; the
one used is ``DocxWriter``, which writes python-docx's XML without its per-cell cost (see
``docx_writer``). Tests drive the same layout through python-docx itself to hold the two
byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.drafting.approval_record import ApprovalRecord
from services.drafting.classification import Classification
from services.drafting.docx_writer import DocumentProperties, DocxWriter
from services.drafting.model import DraftRequest, ObjectDescription
from services.drafting.quality import QualityScore

__all__ = [
    "APPROVALS_HEADING",
    "DocumentContent",
    "DocumentWriter",
    "FinalRecord",
    "render_document",
    "write_document",
]

APPROVALS_HEADING = "Approvals"


class DocumentWriter(Protocol):
    """What the layout needs of a .docx builder (``DocxWriter``, or python-docx in tests)."""

    def heading(self, text: str, level: int) -> None: ...
    def paragraph(self, text: str, style: str | None = None) -> None: ...
    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...
    def save(self, properties: DocumentProperties) -> bytes: ...


@dataclass(frozen=True)
class DocumentContent:
    """Everything the document says about the object (the draft's snapshot)."""

    request: DraftRequest
    description: ObjectDescription
    classification: Classification
    quality: QualityScore


@dataclass(frozen=True)
class FinalRecord:
    """What only the final document carries: the approval and the hashes that pin it."""

    approval: ApprovalRecord
    content_hash: str
    draft_sha256: str


def render_document(
    content: DocumentContent, generated_at: datetime, final: FinalRecord | None = None
) -> bytes:
    """The .docx bytes: a draft when ``final`` is None, else the approved document."""
    return write_document(DocxWriter(), content, generated_at, final)


def write_document(
    document: DocumentWriter,
    content: DocumentContent,
    generated_at: datetime,
    final: FinalRecord | None = None,
) -> bytes:
    """Lay the document out through ``document`` and return what it saves."""
    description = content.description
    document.heading(f"{description.physical_name} ({description.database})", level=0)
    document.paragraph(_status_line(content, final))
    for note in description.notes:
        document.paragraph(note, style="Intense Quote")

    document.heading("Summary", level=1)
    _key_values(
        document,
        [
            ("Database", description.database),
            ("Object", description.physical_name),
            ("Kind", description.kind),
            ("Change", content.request.change_type),
            ("Requested by", content.request.requested_by),
            ("Document id", content.request.document_id),
            ("Generated at", generated_at.isoformat()),
            ("Columns", str(len(description.columns))),
            ("Documentation quality", f"{content.quality.score:.2f}"),
        ],
    )
    document.paragraph(description.description or "No description is recorded.")

    _classification_section(document, content.classification)
    _columns_section(document, content)
    _keys_section(document, description)
    _indexes_section(document, description)
    _quality_section(document, content.quality)
    _approvals_section(document, final)
    return document.save(_properties(content, generated_at, final is not None))


def _status_line(content: DocumentContent, final: FinalRecord | None) -> str:
    retirement = content.request.change_type == "Dropped"
    kind = "Retirement record" if retirement else "Data dictionary"
    if final is None:
        return f"{kind} - DRAFT awaiting approval."
    return f"{kind} - FINAL, {final.approval.status.lower()}."


def _classification_section(document: DocumentWriter, classification: Classification) -> None:
    document.heading("Classification", level=1)
    document.paragraph(
        f"Personal data: {'yes' if classification.personal_data else 'no'}. "
        f"Financial data: {'yes' if classification.financial_data else 'no'}."
    )
    if classification.findings:
        document.table(
            ["Column", "Category", "Reason"],
            [[f.column, f.category, f.reason] for f in classification.findings],
        )


def _columns_section(document: DocumentWriter, content: DocumentContent) -> None:
    description = content.description
    document.heading("Columns", level=1)
    if not description.columns:
        document.paragraph("No columns are known.")
        return
    rows = []
    for position, column in enumerate(description.columns, start=1):
        categories = ", ".join(f.category for f in content.classification.of_column(column.name))
        rows.append(
            [
                str(position),
                column.name,
                column.type,
                "yes" if column.nullable else "no",
                column.default or "",
                "PK" if column.name in description.primary_key else "",
                categories,
                column.description or "",
            ]
        )
    document.table(
        ["#", "Column", "Type", "Nullable", "Default", "Key", "Classification", "Description"], rows
    )


def _keys_section(document: DocumentWriter, description: ObjectDescription) -> None:
    document.heading("Keys", level=1)
    document.paragraph(
        f"Primary key: {', '.join(description.primary_key)}"
        if description.primary_key
        else "Primary key: none."
    )
    if description.foreign_keys:
        document.table(
            ["Foreign key", "Columns", "References"],
            [
                [
                    fk.name or "(unnamed)",
                    ", ".join(fk.columns),
                    f"{fk.referred_object} ({', '.join(fk.referred_columns)})",
                ]
                for fk in description.foreign_keys
            ],
        )
    else:
        document.paragraph("Foreign keys: none.")


def _indexes_section(document: DocumentWriter, description: ObjectDescription) -> None:
    document.heading("Indexes", level=1)
    if not description.indexes:
        document.paragraph("No indexes.")
        return
    document.table(
        ["Index", "Columns", "Unique"],
        [
            [ix.name or "(unnamed)", ", ".join(ix.columns), "yes" if ix.unique else "no"]
            for ix in description.indexes
        ],
    )


def _quality_section(document: DocumentWriter, quality: QualityScore) -> None:
    document.heading("Documentation quality", level=1)
    document.paragraph(
        f"Score {quality.score:.2f}: object description "
        f"{'present' if quality.object_described else 'missing'}, "
        f"{quality.columns_described} of {quality.columns} columns described."
    )
    if quality.undescribed_columns:
        document.paragraph(
            "Columns without a description: " + ", ".join(quality.undescribed_columns) + "."
        )


def _approvals_section(document: DocumentWriter, final: FinalRecord | None) -> None:
    document.heading(APPROVALS_HEADING, level=1)
    if final is None:
        document.paragraph(
            "Pending: this section is completed with the approval record when the document "
            "is approved."
        )
        return
    approval = final.approval
    _key_values(
        document,
        [
            ("Outcome", approval.status),
            ("Decided at", approval.decided_at or ""),
            ("Tier", "" if approval.tier is None else str(approval.tier)),
            ("Auto-approved", "yes" if approval.auto_approved else "no"),
            ("Content hash (SHA-256)", final.content_hash),
            ("Approved draft (SHA-256)", final.draft_sha256),
        ],
    )
    if approval.reason:
        document.paragraph(approval.reason)
    if approval.votes:
        document.table(
            ["Role", "Approver", "Decision", "At", "Comment"],
            [
                [v.role, v.approver, v.decision, v.decided_at or "", v.comment or ""]
                for v in approval.votes
            ],
        )


def _key_values(document: DocumentWriter, pairs: list[tuple[str, str]]) -> None:
    document.table(["Field", "Value"], [[k, v] for k, v in pairs])


def _properties(
    content: DocumentContent, generated_at: datetime, final: bool
) -> DocumentProperties:
    description = content.description
    return DocumentProperties(
        title=f"{description.physical_name} ({description.database})",
        subject="Data dictionary" + (" (final)" if final else " (draft)"),
        author="document-approval workflow",
        last_modified_by="document-approval workflow",
        identifier=content.request.document_id,
        revision=1,
        created=generated_at,
        modified=generated_at,
    )
