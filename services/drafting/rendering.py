"""Render the data-dictionary document as a .docx with python-docx, byte for byte repeatable.

The same content and time always give the same bytes: the core properties carry the given
time instead of the wall clock, and the zip entries get a fixed timestamp. So a retried
activity writes an identical blob and the draft's hash means something.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docx import Document

from services.drafting.approval_record import ApprovalRecord
from services.drafting.classification import Classification
from services.drafting.model import DraftRequest, ObjectDescription
from services.drafting.quality import QualityScore
from services.text import xml_safe

__all__ = ["APPROVALS_HEADING", "DocumentContent", "FinalRecord", "render_document"]

APPROVALS_HEADING = "Approvals"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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


def render_document(content: DocumentContent, generated_at: datetime,
                    final: FinalRecord | None = None) -> bytes:
    """The .docx bytes: a draft when ``final`` is None, else the approved document.

    Every string is first made XML-safe: column comments from the source database and
    approvers' comments may hold control characters that python-docx (rightly) refuses.
    """
    content, final = xml_safe(content), xml_safe(final)
    document: Any = Document()
    _properties(document, content, generated_at, final is not None)
    description = content.description
    document.add_heading(f"{description.physical_name} ({description.database})", level=0)
    document.add_paragraph(_status_line(content, final))
    for note in description.notes:
        document.add_paragraph(note, style="Intense Quote")

    document.add_heading("Summary", level=1)
    _key_values(document, [
        ("Database", description.database),
        ("Object", description.physical_name),
        ("Kind", description.kind),
        ("Change", content.request.change_type),
        ("Requested by", content.request.requested_by),
        ("Document id", content.request.document_id),
        ("Generated at", generated_at.isoformat()),
        ("Columns", str(len(description.columns))),
        ("Documentation quality", f"{content.quality.score:.2f}"),
    ])
    document.add_paragraph(description.description or "No description is recorded.")

    _classification_section(document, content.classification)
    _columns_section(document, content)
    _keys_section(document, description)
    _indexes_section(document, description)
    _quality_section(document, content.quality)
    _approvals_section(document, final)
    return _repeatable(document)


def _status_line(content: DocumentContent, final: FinalRecord | None) -> str:
    retirement = content.request.change_type == "Dropped"
    kind = "Retirement record" if retirement else "Data dictionary"
    if final is None:
        return f"{kind} - DRAFT awaiting approval."
    return f"{kind} - FINAL, {final.approval.status.lower()}."


def _classification_section(document: Any, classification: Classification) -> None:
    document.add_heading("Classification", level=1)
    document.add_paragraph(
        f"Personal data: {'yes' if classification.personal_data else 'no'}. "
        f"Financial data: {'yes' if classification.financial_data else 'no'}.")
    if classification.findings:
        _table(document, ["Column", "Category", "Reason"],
               [[f.column, f.category, f.reason] for f in classification.findings])


def _columns_section(document: Any, content: DocumentContent) -> None:
    description = content.description
    document.add_heading("Columns", level=1)
    if not description.columns:
        document.add_paragraph("No columns are known.")
        return
    rows = []
    for position, column in enumerate(description.columns, start=1):
        categories = ", ".join(f.category for f in content.classification.of_column(column.name))
        rows.append([str(position), column.name, column.type,
                     "yes" if column.nullable else "no", column.default or "",
                     "PK" if column.name in description.primary_key else "",
                     categories, column.description or ""])
    _table(document, ["#", "Column", "Type", "Nullable", "Default", "Key", "Classification",
                      "Description"], rows)


def _keys_section(document: Any, description: ObjectDescription) -> None:
    document.add_heading("Keys", level=1)
    document.add_paragraph(
        f"Primary key: {', '.join(description.primary_key)}" if description.primary_key
        else "Primary key: none.")
    if description.foreign_keys:
        _table(document, ["Foreign key", "Columns", "References"], [
            [fk.name or "(unnamed)", ", ".join(fk.columns),
             f"{fk.referred_object} ({', '.join(fk.referred_columns)})"]
            for fk in description.foreign_keys])
    else:
        document.add_paragraph("Foreign keys: none.")


def _indexes_section(document: Any, description: ObjectDescription) -> None:
    document.add_heading("Indexes", level=1)
    if not description.indexes:
        document.add_paragraph("No indexes.")
        return
    _table(document, ["Index", "Columns", "Unique"], [
        [ix.name or "(unnamed)", ", ".join(ix.columns), "yes" if ix.unique else "no"]
        for ix in description.indexes])


def _quality_section(document: Any, quality: QualityScore) -> None:
    document.add_heading("Documentation quality", level=1)
    document.add_paragraph(
        f"Score {quality.score:.2f}: object description "
        f"{'present' if quality.object_described else 'missing'}, "
        f"{quality.columns_described} of {quality.columns} columns described.")
    if quality.undescribed_columns:
        document.add_paragraph(
            "Columns without a description: " + ", ".join(quality.undescribed_columns) + ".")


def _approvals_section(document: Any, final: FinalRecord | None) -> None:
    document.add_heading(APPROVALS_HEADING, level=1)
    if final is None:
        document.add_paragraph(
            "Pending: this section is completed with the approval record when the document "
            "is approved.")
        return
    approval = final.approval
    _key_values(document, [
        ("Outcome", approval.status),
        ("Decided at", approval.decided_at or ""),
        ("Tier", "" if approval.tier is None else str(approval.tier)),
        ("Auto-approved", "yes" if approval.auto_approved else "no"),
        ("Content hash (SHA-256)", final.content_hash),
        ("Approved draft (SHA-256)", final.draft_sha256),
    ])
    if approval.reason:
        document.add_paragraph(approval.reason)
    if approval.votes:
        _table(document, ["Role", "Approver", "Decision", "At", "Comment"], [
            [v.role, v.approver, v.decision, v.decided_at or "", v.comment or ""]
            for v in approval.votes])


def _key_values(document: Any, pairs: list[tuple[str, str]]) -> None:
    _table(document, ["Field", "Value"], [[k, v] for k, v in pairs])


def _table(document: Any, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def _properties(document: Any, content: DocumentContent, generated_at: datetime,
                final: bool) -> None:
    properties = document.core_properties
    properties.title = f"{content.description.physical_name} ({content.description.database})"
    properties.subject = "Data dictionary" + (" (final)" if final else " (draft)")
    properties.author = "document-approval workflow"
    properties.last_modified_by = "document-approval workflow"
    properties.identifier = content.request.document_id
    properties.revision = 1
    properties.created = generated_at
    properties.modified = generated_at


def _repeatable(document: Any) -> bytes:
    """Save, then rewrite the zip with fixed entry times (python-docx stamps the wall clock)."""
    saved = io.BytesIO()
    document.save(saved)
    repeatable = io.BytesIO()
    with zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(repeatable, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return repeatable.getvalue()
