"""Rendering: open the produced .docx with python-docx and read what it says."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.drafting import (
    ApprovalRecord,
    ColumnDescription,
    DocumentContent,
    DraftRequest,
    FinalRecord,
    ForeignKeyDescription,
    IndexDescription,
    InvalidDraftRequest,
    ObjectDescription,
    classify,
    render_document,
    score_documentation,
)
from services.drafting.rendering import APPROVALS_HEADING
from services.text import xml_text
from wire import to_json

AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
REQUEST = DraftRequest.from_json(
    {
        "documentId": "2A9C3F0E-5B1D-4C7E-9A21-000000000003",
        "physicalName": "sales.customers",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "rita@example.com",
    }
)
DESCRIPTION = ObjectDescription(
    database="warehouse",
    physical_name="sales.customers",
    kind="table",
    exists=True,
    description="People who buy from us.",
    columns=(
        ColumnDescription("customer_id", "INTEGER", False, description="Surrogate key."),
        ColumnDescription("email", "TEXT", False, description="Address for order mail."),
        ColumnDescription("segment", "TEXT", False, default="'retail'"),
    ),
    primary_key=("customer_id",),
    foreign_keys=(ForeignKeyDescription("fk_region", ("segment",), "sales.segments", ("code",)),),
    indexes=(IndexDescription("ix_email", ("email",), True),),
)
CONTENT = DocumentContent(
    REQUEST, DESCRIPTION, classify(DESCRIPTION), score_documentation(DESCRIPTION)
)
APPROVAL = ApprovalRecord.from_json(
    {
        "status": "Approved",
        "decidedAt": "2026-11-23T10:00:00Z",
        "tier": 3,
        "votes": [
            {
                "role": "Data Steward",
                "approver": "dana@example.com",
                "decision": "approve",
                "decidedAt": "2026-11-23T09:00:00Z",
                "comment": "fine",
            },
            {"role": "Compliance", "approver": "casey@example.com", "decision": "approve"},
        ],
    }
)


def open_docx(data: bytes) -> Any:
    return Document(io.BytesIO(data))


def text_of(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts)


def section(document: Any, heading: str) -> list[str]:
    """The paragraphs after ``heading`` up to the next heading."""
    texts = [(p.style.name, p.text) for p in document.paragraphs]
    start = texts.index(("Heading 1", heading))
    following = []
    for style, text in texts[start + 1 :]:
        if style.startswith("Heading"):
            break
        following.append(text)
    return following


def test_draft_has_title_summary_columns_keys_and_pending_approvals() -> None:
    document = open_docx(render_document(CONTENT, AT))
    text = text_of(document)

    assert document.paragraphs[0].text == "sales.customers (warehouse)"
    assert "Data dictionary - DRAFT awaiting approval." in text
    assert "Kind | table" in text
    assert "Document id | 2a9c3f0e-5b1d-4c7e-9a21-000000000003" in text
    assert "Documentation quality | 0.75" in text
    assert "People who buy from us." in text
    assert "Personal data: yes. Financial data: no." in text
    columns = next(t for t in document.tables if t.rows[0].cells[1].text == "Column")
    assert [c.text for c in columns.rows[2].cells] == [
        "2",
        "email",
        "TEXT",
        "no",
        "",
        "",
        "personal",
        "Address for order mail.",
    ]
    assert [c.text for c in columns.rows[1].cells][5] == "PK"
    assert "Primary key: customer_id" in text
    assert "fk_region | segment | sales.segments (code)" in text
    assert "ix_email | email | yes" in text
    assert "Columns without a description: segment." in text
    assert section(document, APPROVALS_HEADING) == [
        "Pending: this section is completed with the approval record when the document is approved."
    ]
    assert document.core_properties.title == "sales.customers (warehouse)"
    assert document.core_properties.created == AT


def test_final_carries_the_approval_record_and_hashes() -> None:
    final = FinalRecord(APPROVAL, content_hash="c" * 64, draft_sha256="d" * 64)
    document = open_docx(render_document(CONTENT, AT, final))
    text = text_of(document)

    assert "Data dictionary - FINAL, approved." in text
    assert "Outcome | Approved" in text
    assert "Tier | 3" in text
    assert f"Content hash (SHA-256) | {'c' * 64}" in text
    assert f"Approved draft (SHA-256) | {'d' * 64}" in text
    assert "Data Steward | dana@example.com | approve | 2026-11-23T09:00:00Z | fine" in text
    assert "Compliance | casey@example.com | approve |  | " in text
    assert "Pending" not in text


def test_rendering_is_repeatable_byte_for_byte() -> None:
    assert render_document(CONTENT, AT) == render_document(CONTENT, AT)
    assert render_document(CONTENT, AT) != render_document(CONTENT, AT.replace(hour=10))


def test_a_retirement_record_says_so() -> None:
    dropped = ObjectDescription(
        database="warehouse",
        physical_name="sales.promotions_2019",
        kind="unknown",
        exists=False,
        notes=("The object no longer exists in warehouse.",),
    )
    request = DraftRequest.from_json({**to_json(REQUEST), "changeType": "Dropped"})
    content = DocumentContent(request, dropped, classify(dropped), score_documentation(dropped))
    text = text_of(open_docx(render_document(content, AT)))
    assert "Retirement record - DRAFT awaiting approval." in text
    assert "The object no longer exists in warehouse." in text
    assert "No columns are known." in text
    assert "No description is recorded." in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"documentId": "nope"}, "documentId 'nope' is not a UUID"),
        ({"physicalName": "a.b.c"}, "physicalName 'a.b.c'"),
        ({"physicalName": ""}, "physicalName is required"),
        ({"changeType": "Renamed"}, "changeType 'Renamed' is not one of"),
        ({"databaseName": None}, "databaseName is required"),
        ({"requestedBy": 7}, "requestedBy is required"),
    ],
)
def test_bad_requests_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidDraftRequest, match=message):
        DraftRequest.from_json({**to_json(REQUEST), **change})


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "approval must be a JSON object"),
        ({"votes": []}, "approval.status is required"),
        ({"status": "Approved", "votes": []}, "at least one vote unless autoApproved"),
        ({"status": "Approved", "votes": [{"role": "DBA"}]}, r"approval.votes\[0\].approver"),
        ({"status": "Approved", "votes": "x"}, "approval.votes must be a list"),
        ({"status": "Approved", "autoApproved": "yes"}, "autoApproved must be true or false"),
        ({"status": "Approved", "autoApproved": True, "tier": "1"}, "tier must be an integer"),
    ],
)
def test_bad_approval_records_name_the_field(record: Any, message: str) -> None:
    with pytest.raises(InvalidDraftRequest, match=message):
        ApprovalRecord.from_json(record)


def test_auto_approval_needs_no_votes() -> None:
    record = ApprovalRecord.from_json(
        {
            "status": "Approved",
            "autoApproved": True,
            "tier": 1,
            "reason": "Tier 1, score 1.00, nothing sensitive.",
        }
    )
    assert record.votes == ()
    text = text_of(open_docx(render_document(CONTENT, AT, FinalRecord(record, "c" * 64, "d" * 64))))
    assert "Auto-approved | yes" in text
    assert "Tier 1, score 1.00, nothing sensitive." in text


_OUTSIDE_TEXT = st.lists(
    st.one_of(
        st.text(
            alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
            max_size=40,
        ),
        st.sampled_from(["\f", "\x00", "\x0b", "\r\n", "\ud800", "\ufffe", "<w:t>", "&amp;"]),
    ),
    min_size=1,
    max_size=4,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    description=_OUTSIDE_TEXT,
    column_comment=_OUTSIDE_TEXT,
    comment=_OUTSIDE_TEXT,
    approver=_OUTSIDE_TEXT.map(lambda text: "approver " + text),
)
def test_any_outside_text_renders_into_both_documents(
    description: str, column_comment: str, comment: str, approver: str
) -> None:
    """Column comments come from the source database and comments from approvers: whatever
    they hold, the draft and the final document render (and say it, XML-safe)."""
    described = dataclasses.replace(
        DESCRIPTION,
        description=description,
        columns=(ColumnDescription("customer_id", "INTEGER", False, description=column_comment),),
    )
    content = DocumentContent(
        REQUEST, described, classify(described), score_documentation(described)
    )
    record = ApprovalRecord.from_json(
        {
            "status": "Approved",
            "decidedAt": "2026-11-23T10:00:00Z",
            "tier": 2,
            "votes": [
                {
                    "role": "DBA",
                    "approver": approver,
                    "decision": "approve",
                    "decidedAt": "2026-11-23T09:00:00Z",
                    "comment": comment,
                }
            ],
        }
    )
    draft = open_docx(render_document(content, AT))
    final = open_docx(render_document(content, AT, FinalRecord(record, "h" * 64, "d" * 64)))
    shown = text_of(final)
    for written in (comment, column_comment):
        visible = xml_text(written).strip()
        if visible and "\r" not in written and "\n" not in written:
            assert visible in shown
    assert text_of(draft)
