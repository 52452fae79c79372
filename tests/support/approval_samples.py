"""Sample approval values for the tests of what renders them (mails, pages): a document record
and an approval request, each with the fields a test names changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.approval.approvals import ApprovalRequest
from services.approval.documents import DocumentLinks, DocumentRecord

DOCUMENT_ID = "2a9c3f0e-5b1d-4c7e-9a21-000000000012"
AT = datetime(2026, 12, 3, 11, 22, tzinfo=UTC)


def document_record(**changes: Any) -> DocumentRecord:
    """A document of ``warehouse.sales.products`` awaiting approval, with ``changes``."""
    record = DocumentRecord(
        document_id=DOCUMENT_ID,
        instance_id=DOCUMENT_ID,
        database_name="warehouse",
        physical_name="sales.products",
        change_type="Altered",
        requested_by="rita.requester@example.com",
        revision=1,
        status="awaiting-approval",
        reason=None,
        created_at=AT,
        updated_at=AT,
        links=DocumentLinks(draft=None, final=None, library=None),
    )
    return replace(record, **changes)


def approval_request(**changes: Any) -> ApprovalRequest:
    """The DBA's request on that document, with a token, due 5 December 2026 11:22 UTC."""
    request = ApprovalRequest(
        request_id="req-1",
        document_id=DOCUMENT_ID,
        revision=1,
        kind="approver",
        role="DBA",
        round=0,
        approver={"name": "Dev Dba", "email": "dev.dba@example.com", "principalId": "dev"},
        deadline=datetime(2026, 12, 5, 11, 22, tzinfo=UTC),
        token="tok.en",
    )
    return replace(request, **changes)
