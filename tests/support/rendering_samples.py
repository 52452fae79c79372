"""A rich document for the rendering tests: every section filled, and text that is hard to write.

Markup characters, tabs, line breaks (LF, CR LF, lone CR), leading and trailing spaces (plain
and non-breaking), scripts from right to left, astral characters and a long description.
``tests/fixtures/rendering/`` holds what python-docx made of it before rendering was rewritten
(``python -m tests.support.rendering_samples`` writes it again; only do that on purpose).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.drafting import (
    ApprovalRecord,
    ColumnDescription,
    DocumentContent,
    DraftRequest,
    FinalRecord,
    ForeignKeyDescription,
    IndexDescription,
    ObjectDescription,
    classify,
    render_document,
    score_documentation,
)

__all__ = ["AT", "FIXTURES", "RICH", "RICH_FINAL"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rendering"
AT = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)

_HARD = [
    "Markup <b>bold</b> & \"quotes\" 'apos' ]]> <!-- not a comment -->",
    "  leading and trailing spaces  ",
    "\u00a0non-breaking at both ends\u00a0",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three\rline four",
    "Z\u00fcrich \u2014 \u6771\u4eac \U0001f680 \u05e9\u05dc\u05d5\u05dd "
    "\u0645\u0631\u062d\u0628\u0627",
    "",
    "x" * 2000,
]
_NAMES = [
    "customer_email",
    "phone_number",
    "iban",
    "salary",
    "birth_date",
    "home_address",
    "order_total",
    "card_number",
    "notes",
    "status",
]
_DESCRIPTION = ObjectDescription(
    database="warehouse",
    physical_name="sales.rich_object",
    kind="table",
    exists=True,
    description="Every kind of text a data dictionary holds.\n" + _HARD[0],
    columns=tuple(
        ColumnDescription(
            f"{_NAMES[i % len(_NAMES)]}_{i}",
            "NVARCHAR(200)" if i % 2 else "INTEGER",
            i % 3 == 0,
            default="'retail'" if i % 4 == 0 else None,
            description=None if i % 5 == 4 else _HARD[i % len(_HARD)],
            autoincrement=i == 0,
        )
        for i in range(24)
    ),
    primary_key=("customer_email_0", "phone_number_1"),
    foreign_keys=(
        ForeignKeyDescription("fk_customer", ("customer_email_0",), "sales.customers", ("email",)),
        ForeignKeyDescription(None, ("iban_2", "salary_3"), "finance.accounts", ("iban", "salary")),
    ),
    indexes=(
        IndexDescription("ix_email", ("customer_email_0",), True),
        IndexDescription(None, ("status_9", "notes_8"), False),
    ),
    notes=("A note <with> markup & a tab\there.", "  A second note, spaced.  "),
)
_REQUEST = DraftRequest.from_json(
    {
        "documentId": "7D1E4B2A-0C3F-4A5B-8E9D-00000000AB12",
        "physicalName": "sales.rich_object",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "rita.o'reilly+<test>@example.com",
    }
)
RICH = DocumentContent(
    _REQUEST, _DESCRIPTION, classify(_DESCRIPTION), score_documentation(_DESCRIPTION)
)
RICH_FINAL = FinalRecord(
    ApprovalRecord.from_json(
        {
            "status": "Approved",
            "decidedAt": "2026-11-23T10:00:00Z",
            "tier": 3,
            "reason": "All three roles approved.\nSee the <comments> & notes.",
            "votes": [
                {
                    "role": "Data Steward",
                    "approver": "dana@example.com",
                    "decision": "approve",
                    "decidedAt": "2026-11-23T09:00:00Z",
                    "comment": "fine\tby me\r\nsecond line",
                },
                {"role": "Compliance", "approver": "casey@example.com", "decision": "approve"},
                {
                    "role": "Security & Risk",
                    "approver": "\u00e9lodie@example.com",
                    "decision": "approve",
                    "comment": "  ok  ",
                },
            ],
        }
    ),
    content_hash="c" * 64,
    draft_sha256="d" * 64,
)


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "rich-draft.docx").write_bytes(render_document(RICH, AT))
    (FIXTURES / "rich-final.docx").write_bytes(render_document(RICH, AT, RICH_FINAL))


if __name__ == "__main__":
    main()
