"""Acceptance: the claim-approval workflow on devhost with the virtual clock, the real outbox
and the app database.

Claims are started and decided as a client does, through the management API: ``POST
/api/workflows/claim-approval/instances?instanceId=`` and ``POST /api/instances/{id}/events/
ClaimDecision`` (``start_claim`` and ``decide``, the only two functions that know the routes).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from devhost.testing import Response

from tests.support.activity_schemas import assert_matches
from tests.support.app_host import ProductHost, product_host

EVENT = "ClaimDecision"


def start_claim(app: ProductHost, claim: dict[str, Any], instance_id: str | None = None) -> str:
    """Start claim-approval for ``claim`` through the management API; its instance id."""
    answer = app.host.http(
        "POST",
        "/api/workflows/claim-approval/instances",
        json=claim,
        params={"instanceId": instance_id or claim["claimId"]},
    )
    assert answer.status == 202, answer.text
    return str(answer.json()["instanceId"])


def decide(app: ProductHost, instance_id: str, decision: Any) -> Response:
    """Raise ``ClaimDecision`` through the management API, then let the instance act on it."""
    answer = app.host.http("POST", f"/api/instances/{instance_id}/events/{EVENT}", json=decision)
    app.host.wait_idle()
    return answer


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductHost]:
    with product_host(
        tmp_path_factory.mktemp("claims"), SCHEDULES_FILE="", CLAIM_AUTO_APPROVE_LIMIT="1000"
    ) as running:
        yield running


_count = 0


def claim(**changes: Any) -> dict[str, Any]:
    global _count
    _count += 1
    return {
        "claimId": f"C-{_count:04d}",
        "claimant": f"claimant{_count}@example.com",
        "amount": 1500,
        "currency": "EUR",
        "description": "Flight to the Oslo site visit",
        **changes,
    }


def payments(app: ProductHost, claim_id: str) -> list[dict[str, Any]]:
    return app.rows(
        "SELECT status, amount_minor, currency, payee FROM payments WHERE claim_id = :c", c=claim_id
    )


def mail_to(app: ProductHost, address: str) -> list[Any]:
    return [m for m in app.mail() if address in str(m["To"])]


def body(message: Any, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if part is not None else ""


def waiting(app: ProductHost, instance_id: str) -> dict[str, Any]:
    status = app.host.status(instance_id)
    assert status is not None and status["runtimeStatus"] == "Running", status
    return dict(status["customStatus"])


def test_a_claim_up_to_the_limit_is_approved_at_once(app: ProductHost) -> None:
    small = claim(amount=250.5)
    iid = start_claim(app, small)
    app.host.wait_idle()  # no clock advance, no event: nothing to wait for
    status = app.host.status(iid)
    assert status is not None and status["runtimeStatus"] == "Completed"
    assert status["output"] == {
        "status": "Approved",
        "claimId": small["claimId"],
        "decidedBy": "auto-approval",
        "paymentId": status["output"]["paymentId"],
    }
    assert payments(app, small["claimId"]) == [
        {"status": "recorded", "amount_minor": 25050, "currency": "EUR", "payee": small["claimant"]}
    ]
    [mail] = mail_to(app, small["claimant"])
    assert "approved by auto-approval" in body(mail) and "250.50 EUR" in body(mail)
    asked = [
        m for m in mail_to(app, "claims-team@example.com") if small["claimId"] in str(m["Subject"])
    ]
    assert asked == []


def test_a_claim_above_the_limit_waits_and_is_approved_by_the_event(app: ProductHost) -> None:
    big = claim(amount="1000.01", description='<script>alert("x")</script> & taxis')
    started = app.host.now()
    iid = start_claim(app, big)
    app.host.wait_idle()
    custom = waiting(app, iid)
    assert custom["waitingFor"] == EVENT
    assert datetime.fromisoformat(custom["deadline"].replace("Z", "+00:00")) == started + timedelta(
        hours=72
    )
    [ask] = [
        m for m in mail_to(app, "claims-team@example.com") if big["claimId"] in str(m["Subject"])
    ]
    assert "1000.01 EUR" in str(ask["Subject"])
    html = body(ask, "html")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; taxis" in html
    assert "<script>" not in html
    assert payments(app, big["claimId"]) == []
    assert (
        decide(
            app,
            iid,
            {"approved": True, "by": "maria@example.com", "comment": "Booked in advance, thanks"},
        ).status
        == 202
    )
    status = app.host.wait_for(iid)
    assert status["output"]["status"] == "Approved"
    assert status["output"]["decidedBy"] == "maria@example.com"
    assert [p["status"] for p in payments(app, big["claimId"])] == ["recorded"]
    [told] = mail_to(app, big["claimant"])
    assert "approved by maria@example.com" in body(told)
    assert "Booked in advance, thanks" in body(told)


def test_a_rejected_claim_pays_nothing(app: ProductHost) -> None:
    big = claim()
    iid = start_claim(app, big)
    app.host.wait_idle()
    decide(app, iid, {"approved": False, "by": "maria@example.com", "comment": "No receipt"})
    status = app.host.wait_for(iid)
    assert status["output"] == {
        "status": "Rejected",
        "claimId": big["claimId"],
        "decidedBy": "maria@example.com",
    }
    assert payments(app, big["claimId"]) == []
    [told] = mail_to(app, big["claimant"])
    assert "rejected by maria@example.com" in body(told) and "No receipt" in body(told)


def test_events_that_are_not_decisions_are_ignored_and_the_deadline_holds(app: ProductHost) -> None:
    big = claim()
    iid = start_claim(app, big)
    app.host.wait_idle()
    deadline = waiting(app, iid)["deadline"]
    for junk in (
        {"approved": "yes", "by": "x@example.com"},
        "approve",
        {"approved": True},
        {"approved": True, "by": "   "},
        [1, 2],
        None,
        {"by": "x@example.com"},
    ):
        assert decide(app, iid, junk).status == 202
        assert waiting(app, iid)["deadline"] == deadline
    decide(app, iid, {"approved": True, "by": "lead@example.com"})
    assert app.host.wait_for(iid)["output"]["decidedBy"] == "lead@example.com"


def test_an_undecided_claim_escalates_at_72h_and_times_out_at_96h(app: ProductHost) -> None:
    big = claim()
    iid = start_claim(app, big)
    app.host.wait_idle()
    first = waiting(app, iid)["deadline"]
    app.host.advance(duration="PT72H")
    escalated = waiting(app, iid)
    assert escalated["state"] == "AwaitEscalatedDecision"
    assert datetime.fromisoformat(
        escalated["deadline"].replace("Z", "+00:00")
    ) == datetime.fromisoformat(first.replace("Z", "+00:00")) + timedelta(hours=24)
    [escalation] = [
        m
        for m in mail_to(app, "claims-managers@example.com")
        if big["claimId"] in str(m["Subject"])
    ]
    assert "undecided for 72 hours" in str(escalation["Subject"])
    app.host.advance(duration="PT24H")
    status = app.host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"status": "TimedOut", "claimId": big["claimId"], "decidedBy": None}
    [told] = mail_to(app, big["claimant"])
    assert "not decided in time" in str(told["Subject"])
    # A late decision changes nothing: the management API answers 410 Gone, as a problem.
    late = decide(app, iid, {"approved": True, "by": "late@example.com"})
    assert late.status == 410, late.text
    types = [v for k, v in late.headers.items() if k.lower() == "content-type"]
    assert types == ["application/problem+json"], late.headers
    assert app.host.status(iid) == status
    assert payments(app, big["claimId"]) == []


def test_a_decision_during_the_escalation_still_counts(app: ProductHost) -> None:
    big = claim()
    iid = start_claim(app, big)
    app.host.wait_idle()
    app.host.advance(duration="PT95H")
    decide(app, iid, {"approved": True, "by": "manager@example.com"})
    assert app.host.wait_for(iid)["output"]["decidedBy"] == "manager@example.com"


def test_the_payment_is_recorded_once_although_the_activity_ran_twice(app: ProductHost) -> None:
    big = claim()
    iid = start_claim(app, big)
    app.host.wait_idle()
    decide(app, iid, {"approved": True, "by": "maria@example.com"})
    first = app.host.wait_for(iid)
    recorded = _results(app, iid, "record_payment")
    assert [r["duplicate"] for r in recorded] == [False]
    assert_matches("record_payment", "output", recorded[0])
    # An operator restarts the instance under the same id: the whole workflow runs again, so
    # record_payment runs a second time with the same instance and step.
    answer = app.host.http(
        "POST",
        f"/api/instances/{iid}/restart",
        params={"newInstanceId": "false"},
        json={"reason": "re-run"},
    )
    assert answer.status == 202, answer.text
    app.host.wait_idle()
    decide(app, iid, {"approved": True, "by": "maria@example.com"})
    second = app.host.wait_for(iid)
    again = _results(app, iid, "record_payment")
    assert [r["duplicate"] for r in again] == [True]
    assert again[0]["paymentId"] == recorded[0]["paymentId"]
    assert second["output"] == first["output"]
    assert payments(app, big["claimId"]) == [
        {"status": "recorded", "amount_minor": 150000, "currency": "EUR", "payee": big["claimant"]}
    ]
    assert len(mail_to(app, big["claimant"])) == 1  # the mail, too, is keyed by the step


def test_a_second_workflow_for_a_paid_claim_cannot_pay_it_again(app: ProductHost) -> None:
    paid = claim(amount=100)
    start_claim(app, paid)
    app.host.wait_idle()
    twin = start_claim(app, paid, instance_id=f"{paid['claimId']}-again")
    status = app.host.wait_for(twin)
    assert status["runtimeStatus"] == "Failed"
    assert "ClaimAlreadyPaid" in status["output"]
    assert [p["status"] for p in payments(app, paid["claimId"])] == ["recorded"]


def test_a_claimant_who_cannot_be_told_gets_the_payment_reversed(app: ProductHost) -> None:
    outbox = app.folder / "outbox"
    aside = app.folder / "outbox-aside"
    shutil.move(outbox, aside)
    outbox.write_text("not a folder: the mail adapter fails")
    try:
        small = claim(amount=20)
        iid = start_claim(app, small)
        status = app.host.wait_for(iid)
    finally:
        outbox.unlink()
        shutil.move(aside, outbox)
    assert status["runtimeStatus"] == "Failed"
    assert "FileExistsError" in status["output"]
    assert status["customStatus"]["compensation"] == [
        {"state": "RecordPayment", "activity": "reverse_payment", "status": "compensated"}
    ]
    assert payments(app, small["claimId"])[0]["status"] == "reversed"
    assert_matches("reverse_payment", "output", _results(app, iid, "reverse_payment")[0])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": 0.001}, "amount: EUR has 2 decimal place(s); got 0.001"),
        ({"amount": -5}, "amount: expected more than 0"),
        ({"amount": 12.5, "currency": "JPY"}, "amount: JPY has 0 decimal place(s)"),
        ({"claimant": "not-an-address"}, "claimant: expected the claimant's mail address"),
        ({"amount": "lots"}, "amount: expected a number"),
    ],
)
def test_a_claim_that_cannot_be_decided_ends_invalid(
    app: ProductHost, changes: dict[str, Any], reason: str
) -> None:
    bad = claim(**changes)
    status = app.host.wait_for(start_claim(app, bad))
    assert status["runtimeStatus"] == "Completed"
    assert status["output"]["status"] == "Invalid" and reason in status["output"]["reason"]
    assert payments(app, bad["claimId"]) == []


def test_a_claim_missing_fields_is_refused_naming_them(app: ProductHost) -> None:
    incomplete = {"claimId": "C-X1", "amount": 5}
    answer = app.host.http(
        "POST",
        "/api/workflows/claim-approval/instances",
        json=incomplete,
        params={"instanceId": "C-X1"},
    )
    assert answer.status == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["claimant", "currency"]
    assert app.host.status("C-X1") is None  # nothing started
    # Started past the API (the Durable API, a queue), the workflow fails at once naming them.
    iid = app.host.start_orchestration(
        "workflow", {"workflow": "claim-approval", "input": incomplete}, instance_id="C-X2"
    )
    status = app.host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "Input.Invalid" in status["output"]
    assert "claimant" in status["output"] and "currency" in status["output"]


def _results(app: ProductHost, instance_id: str, activity: str) -> list[dict[str, Any]]:
    """The results of ``activity`` in the instance's history, in order."""
    history = app.host.history(instance_id)
    scheduled = {e["EventId"]: e["Name"] for e in history if e["EventType"] == 4}
    return [
        json.loads(e["Result"])
        for e in history
        if e["EventType"] == 5 and scheduled.get(e["TaskScheduledId"]) == activity
    ]
