"""Approval links on devhost with TRUST_EASY_AUTH=false: the signed link is the credential.

Each status code of the decision is its own test; the workflow is the api_app's real
orchestrator, which counts every ``approval`` event with the ``record_vote`` service.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from api_support import ApiApp, easy_auth_principal, header

import runtime
from services import audit_trail, handle_deadline, parse_timestamp


def tampered(token: str) -> str:
    payload, mac = token.split(".")
    return f"{payload}.{('A' if mac[0] != 'A' else 'B')}{mac[1:]}"


def test_the_page_shows_the_request_and_changes_nothing(app: ApiApp) -> None:
    document_id, tokens = app.case()
    app.put_draft(document_id, b"PK\x03\x04 the draft")
    before = app.snapshot(document_id)

    page = app.host.http("GET", f"/api/approvals/{tokens['DBA']}")
    draft = app.host.http("GET", f"/api/approvals/{tokens['DBA']}/draft")
    app.host.wait_idle()

    assert page.status == 200, page.text
    assert header(page, "Content-Type").startswith("text/html")
    assert header(page, "Referrer-Policy") == "no-referrer"
    for shown in (
        "sales.orders",
        "warehouse",
        "2 (Table, view or procedure)",
        "DBA",
        "dev.dba@example.com",
        "Data Steward, DBA",
        'name="decision" value="approve"',
        'name="decision" value="reject"',
        'name="comment"',
        f'href="{tokens["DBA"]}/draft"',
    ):
        assert shown in page.text
    assert draft.status == 200
    assert draft.text == "PK\x03\x04 the draft"
    assert "attachment" in header(draft, "Content-Disposition")
    assert app.snapshot(document_id) == before  # no vote, no audit event, no workflow event


def test_first_decision_is_200_and_raises_the_recorded_vote_once(app: ApiApp) -> None:
    document_id, tokens = app.case()
    answer = app.decide(tokens["DBA"], comment="columns look right")

    assert answer.status == 200, answer.text
    result = answer.json()
    assert result["replayed"] is False
    assert result["eventRaised"] is True
    assert result["vote"]["decision"] == "approve"
    assert result["vote"]["comment"] == "columns look right"
    assert result["ballot"]["pendingRoles"] == ["Data Steward"]
    # The event carries the vote as recorded, and record_vote counted it without complaint.
    assert app.received(document_id) == [result["vote"]]
    status = app.host.status(document_id)
    assert status["customStatus"]["ignoredVote"] is None
    assert status["customStatus"]["decision"] == "pending"


def test_repeating_the_same_decision_is_200_with_one_vote_and_no_second_event(app: ApiApp) -> None:
    document_id, tokens = app.case()
    first = app.decide(tokens["DBA"], comment="fine")
    again = app.decide(tokens["DBA"], comment="typed again")

    assert (first.status, again.status) == (200, 200)
    assert again.json()["replayed"] is True
    assert again.json()["eventRaised"] is False
    assert again.json()["vote"] == first.json()["vote"]  # the recorded vote, first comment
    assert len(app.votes(document_id)) == 1
    assert len(app.received(document_id)) == 1


def test_a_different_decision_after_the_first_is_409(app: ApiApp) -> None:
    document_id, tokens = app.case()
    assert app.decide(tokens["DBA"], "approve").status == 200

    answer = app.decide(tokens["DBA"], "reject")

    assert answer.status == 409, answer.text
    assert header(answer, "Content-Type").startswith("application/problem+json")
    assert answer.json()["type"] == "urn:problem:DecisionConflict"
    assert [v["decision"] for v in app.votes(document_id)] == ["approve"]
    assert len(app.received(document_id)) == 1


def test_after_the_deadline_the_decision_is_410_and_the_page_says_so(app: ApiApp) -> None:
    # Opened 49 hours ago with a 48-hour SLA: the deadline passed an hour ago.
    document_id, tokens = app.case(opened_at=datetime.now(UTC) - timedelta(hours=49))

    answer = app.decide(tokens["DBA"])
    page = app.host.http("GET", f"/api/approvals/{tokens['DBA']}")

    assert answer.status == 410, answer.text
    assert answer.json()["type"] == "urn:problem:Gone"
    assert "deadline" in answer.json()["detail"]
    assert page.status == 410
    assert "deadline of this request has passed" in page.text
    assert app.votes(document_id) == []
    assert app.received(document_id) == []


def test_after_the_approval_ended_the_decision_is_410(app: ApiApp) -> None:
    document_id, tokens = app.case()
    rejected = app.decide(tokens["Data Steward"], "reject", comment="wrong owner")
    assert rejected.status == 200
    assert app.host.wait_for(document_id)["output"]["ballot"]["decision"] == "rejected"

    late = app.decide(tokens["DBA"], "approve")

    assert late.status == 410, late.text
    assert "ended" in late.json()["detail"]
    page = app.host.http("GET", f"/api/approvals/{tokens['DBA']}")
    assert page.status == 410
    assert "approval of this document has ended" in page.text
    assert [v["decision"] for v in app.votes(document_id)] == ["reject"]


def test_a_tampered_token_is_400_for_the_decision_and_the_page(app: ApiApp) -> None:
    document_id, tokens = app.case()
    forged = tampered(tokens["DBA"])

    answer = app.decide(forged)
    page = app.host.http("GET", f"/api/approvals/{forged}")
    garbage = app.decide("not-a-token")

    assert answer.status == 400, answer.text
    assert answer.json()["type"] == "urn:problem:TokenInvalid"
    assert forged not in answer.text  # the problem names the route, never the link
    assert page.status == 400
    assert header(page, "Content-Type").startswith("text/html")
    assert "altered" in page.text
    assert garbage.status == 400
    form = app.host.http(
        "POST",
        f"/api/approvals/{forged}",
        data="decision=approve",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert form.status == 400
    assert header(form, "Content-Type").startswith("text/html")
    assert app.votes(document_id) == []


def test_principal_headers_are_ignored_when_easy_auth_is_not_trusted(app: ApiApp) -> None:
    document_id, tokens = app.case()
    someone_else = {
        "X-MS-CLIENT-PRINCIPAL": easy_auth_principal("mallory@example.com"),
        "X-MS-CLIENT-PRINCIPAL-NAME": "mallory@example.com",
    }

    answer = app.decide(tokens["DBA"], headers=someone_else)

    assert answer.status == 200, answer.text
    assert answer.json()["vote"]["approver"]["email"] == "dev.dba@example.com"
    assert len(app.received(document_id)) == 1


def test_a_browser_form_post_gets_a_page_and_counts_like_json(app: ApiApp) -> None:
    document_id, tokens = app.case(roles=("DBA",))
    form = urllib.parse.urlencode({"decision": "approve", "comment": "ok <b>really</b>"})

    answer = app.host.http(
        "POST",
        f"/api/approvals/{tokens['DBA']}",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )

    assert answer.status == 200, answer.text
    assert "<h1>You approved " in answer.text  # the heading says what was decided
    assert "ok &lt;b&gt;really&lt;/b&gt;" in answer.text  # escaped, never markup
    output = app.host.wait_for(document_id)["output"]
    assert output["ballot"]["decision"] == "approved"
    assert output["received"][0]["comment"] == "ok <b>really</b>"


def test_a_bad_decision_body_is_400_naming_the_field(app: ApiApp) -> None:
    document_id, tokens = app.case()
    url = f"/api/approvals/{tokens['DBA']}"

    maybe = app.host.http("POST", url, json={"decision": "maybe"})
    extra = app.host.http("POST", url, json={"decision": "approve", "vote": "yes"})
    plain = app.host.http("POST", url, data="approve", headers={"Content-Type": "text/plain"})

    assert (maybe.status, maybe.json()["field"]) == (400, "decision")
    assert (extra.status, extra.json()["field"]) == (400, "vote")
    assert (plain.status, plain.json()["field"]) == (400, "Content-Type")
    assert app.votes(document_id) == []


def test_a_vote_whose_workflow_is_gone_is_recorded_and_says_the_event_was_not_raised(
    app: ApiApp,
) -> None:
    document_id, tokens = app.case(with_workflow=False)

    answer = app.decide(tokens["DBA"])

    assert answer.status == 200, answer.text
    assert answer.json()["eventRaised"] is False
    assert len(app.votes(document_id)) == 1
    # The vote and its audit event were committed together, whatever became of the event.
    assert [e.type for e in audit_trail(app.engine, document_id).events] == ["voted"]


def test_after_escalation_old_links_are_410_and_the_contact_decides_for_all_open_roles(
    app: ApiApp,
) -> None:
    document_id, tokens = app.case(opened_at=datetime.now(UTC) - timedelta(hours=49))
    current = runtime.runtime()
    deadline = parse_timestamp(
        app.host.http("GET", f"/api/documents/{document_id}").json()["approval"]["deadline"],
        "deadline",
    )
    escalated = handle_deadline(
        current.adapters.database,
        current.keys,
        document_id=document_id,
        deadline=deadline,
        now=datetime.now(UTC),
    )
    assert escalated.outcome == "escalated"
    contact_token = str(escalated.requests[0].token)

    old = app.decide(tokens["DBA"])
    page = app.host.http("GET", f"/api/approvals/{contact_token}")
    contact = app.decide(contact_token, comment="approved on escalation")

    assert old.status == 410, old.text
    assert page.status == 200
    assert "every role still open" in page.text
    assert contact.status == 200, contact.text
    assert contact.json()["vote"]["kind"] == "escalation"
    assert contact.json()["vote"]["roles"] == ["Data Steward", "DBA"]
    output = app.host.wait_for(document_id)["output"]
    assert output["received"] == [contact.json()["vote"]]
    assert output["ballot"]["decision"] == "approved"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"decision": "approve", "comment": "' + b"\\ud800" + b'"}',
        b'{"decision": "approve", "comment": {"a": ' * 40 + b"1" + b"}" * 40 + b"}",
        b'{"decision": "approve"} trailing',
    ],
)
def test_hostile_decision_bodies_are_400_and_record_nothing(app: ApiApp, body: bytes) -> None:
    document_id, tokens = app.case()

    answer = app.host.http(
        "POST",
        f"/api/approvals/{tokens['DBA']}",
        data=body,
        headers={"Content-Type": "application/json"},
    )

    assert answer.status == 400, answer.text
    assert header(answer, "Content-Type").startswith("application/problem+json")
    assert app.votes(document_id) == []


def test_a_pasted_comment_is_kept_as_the_approver_meant_it(app: ApiApp) -> None:
    _, tokens = app.case()

    answer = app.decide(tokens["DBA"], comment="line one\r\nline two\fpage two\x00!  ")

    assert answer.status == 200, answer.text
    assert answer.json()["vote"]["comment"] == "line one\nline two page two !"
