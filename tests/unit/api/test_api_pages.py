"""The approval pages: what they show, the form only while open, everything escaped."""

from __future__ import annotations

from typing import Any

from api.approval_pages import confirmation_page, decision_page, error_page


def view(state: str = "open", **changes: Any) -> dict[str, Any]:
    base = {
        "state": state,
        "document": {
            "physicalName": "sales.<script>",
            "databaseName": "warehouse",
            "changeType": "Altered",
            "requestedBy": "rita@example.com",
        },
        "request": {
            "documentId": "doc-1",
            "role": "DBA",
            "deadline": "2026-03-04T09:00:00Z",
            "approver": {"name": "Dev <Dba>", "email": "dev.dba@example.com"},
        },
        "vote": None,
        "assessment": {"tier": 3, "tierName": "Personal or financial data"},
        "ballot": {"pendingRoles": ["Data Steward", "DBA"]},
    }
    base.update(changes)
    return base


def test_an_open_request_shows_the_facts_the_draft_link_and_the_form() -> None:
    page = confirmation_page(view(), draft_href="tok/draft")
    for shown in (
        "sales.&lt;script&gt;",
        "warehouse",
        "3 (Personal or financial data)",
        "Dev &lt;Dba&gt; &lt;dev.dba@example.com&gt;",
        "2026-03-04T09:00:00Z",
        "Data Steward, DBA",
        'href="tok/draft"',
        '<form method="post">',
        'value="approve"',
        'value="reject"',
        'name="comment"',
    ):
        assert shown in page
    assert "<script>" not in page


def test_a_decided_request_shows_the_decision_and_no_form() -> None:
    decided = view("decided", vote={"decision": "reject", "decidedAt": "2026-03-03T10:00:00Z"})
    page = confirmation_page(decided, draft_href=None)
    assert "<form" not in page
    assert "Your decision: reject at 2026-03-03T10:00:00Z" in page
    assert "The draft document is not available." in page


def test_an_escalation_contact_is_told_they_decide_for_every_open_role() -> None:
    escalated = view(request={**view()["request"], "role": "*"})
    assert "every role still open" in confirmation_page(escalated, draft_href=None)


def test_the_decision_page_and_error_page_escape_what_they_show() -> None:
    result = {
        "replayed": True,
        "ballot": {"decision": "pending"},
        "vote": {
            "documentId": "doc-1",
            "decision": "approve",
            "roles": ["DBA"],
            "comment": "<img src=x>",
            "decidedAt": "2026-03-03T10:00:00Z",
            "approver": {"name": "Dev", "email": "dev@example.com"},
        },
    }
    page = decision_page(result)
    assert "already recorded" in page
    assert "&lt;img src=x&gt;" in page
    error = error_page({"title": "Approval closed", "status": 410, "detail": "a <b> c"})
    assert "a &lt;b&gt; c" in error
    assert "HTTP status 410" in error
