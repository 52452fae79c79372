"""The approval pages: what they show, the form only while open, everything escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from api.approval_pages import closed_page, confirmation_page, decision_page, error_page
from services import Ballot, Redemption, TokenView, Vote
from tests.support.approval_samples import approval_request, document_record

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ballot(decision: str = "pending", pending: tuple[str, ...] = ("Data Steward", "DBA")) -> Ballot:
    return Ballot(
        document_id="doc-1",
        revision=1,
        decision=decision,
        status="open" if decision == "pending" else decision,
        route="all",
        tier=3,
        deadline=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        required_roles=("Data Steward", "DBA"),
        approved_roles=tuple(r for r in ("Data Steward", "DBA") if r not in pending),
        pending_roles=pending,
        approved_by=(),
        rejected_by=None,
        votes=(),
        record=None,
    )


def vote(**changes: Any) -> Vote:
    return replace(
        Vote(
            vote_id="v-1",
            request_id="r-1",
            document_id="doc-1",
            kind="approver",
            roles=("DBA",),
            approver={"name": "Dev", "email": "dev@example.com", "principalId": "dev"},
            decision="approve",
            comment="",
            decided_at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        ),
        **changes,
    )


def view(state: str = "open", **changes: Any) -> TokenView:
    document = document_record(document_id="doc-1", physical_name="sales.<script>")
    request = approval_request(
        request_id="r-1",
        document_id="doc-1",
        approver={"name": "Dev <Dba>", "email": "dev.dba@example.com", "principalId": "dev"},
        deadline=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        token=None,
    )
    base = TokenView(
        state=state,
        document=document,
        request=request,
        vote=None,
        assessment={"tier": 3, "tierName": "Personal or financial data"},
        ballot=ballot(),
    )
    return replace(base, **changes)


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
    decided = view("decided", vote=vote(decision="reject"))
    page = confirmation_page(decided, draft_href=None)
    assert "<form" not in page
    assert "Your decision: reject at 2026-03-03T10:00:00Z" in page
    assert "The draft document is not available." in page


def test_an_escalation_contact_is_told_they_decide_for_every_open_role() -> None:
    escalated = view(request=replace(view().request, role="*", kind="escalation"))
    assert "every role still open" in confirmation_page(escalated, draft_href=None)


def test_the_decision_page_and_error_page_escape_what_they_show() -> None:
    result = Redemption(
        vote=vote(comment="<img src=x>"), ballot=ballot(), replayed=True, instance_id="doc-1"
    )
    page = decision_page(result)
    assert "already recorded" in page
    assert "&lt;img src=x&gt;" in page
    error = error_page({"title": "Approval closed", "status": 410, "detail": "a <b> c"})
    assert "a &lt;b&gt; c" in error
    assert "HTTP status 410" in error


def test_a_closed_link_says_which_document_and_how_it_ended() -> None:
    page = closed_page(view("ended", ballot=ballot("rejected", pending=("DBA",))))
    for shown in (
        "This approval link is closed: warehouse.sales.&lt;script&gt;",
        "it was rejected",
        '<time datetime="2026-03-04T09:00:00Z">',
    ):
        assert shown in page
    assert "<form" not in page
    anonymous = closed_page(view("expired", document=None))
    assert "a data-dictionary document" in anonymous
