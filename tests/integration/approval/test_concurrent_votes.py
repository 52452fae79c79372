"""Approvers who decide at the same moment: every vote gets exactly one ``voted`` event."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import sqlalchemy as sa

from services import audit_trail

DANA, DEV = "dana.steward@example.com", "dev.dba@example.com"


def _post_at_once(journey: Any, document_id: str, decisions: dict[str, str]) -> list[int]:
    """Each approver opens the link, then all post in the same instant (a barrier)."""
    links = {email: journey.link(document_id, email) for email in decisions}
    barrier = threading.Barrier(len(links))
    statuses: list[int] = []

    def post(email: str) -> None:
        barrier.wait()
        answer = journey.host.http("POST", links[email], json={"decision": decisions[email]})
        statuses.append(answer.status)

    threads = [threading.Thread(target=post, args=(email,)) for email in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journey.host.wait_idle()
    return statuses


def _voted_request_ids(journey: Any, document_id: str) -> Counter[str]:
    trail = audit_trail(journey.db, document_id)
    assert trail.verification.ok is True, trail.verification
    return Counter(e.data["vote"]["requestId"] for e in trail.events if e.type == "voted")


def _recorded_votes(journey: Any, document_id: str) -> set[str]:
    with journey.db.connect() as conn:
        return {
            r[0]
            for r in conn.execute(
                sa.text("SELECT request_id FROM votes WHERE document_id = :d"), {"d": document_id}
            )
        }


def test_two_approvals_at_once_are_both_audited(journey):
    for _ in range(3):  # the race was lost 5 times in 5; three tries make a pass meaningful
        doc = journey.submit(journey.message("tier2-table"))
        statuses = _post_at_once(journey, doc, {DANA: "approve", DEV: "approve"})
        assert statuses == [200, 200]
        assert journey.host.wait_for(doc)["output"]["status"] == "Approved"
        voted = _voted_request_ids(journey, doc)
        assert set(voted) == _recorded_votes(journey, doc)
        assert set(voted.values()) == {1}


def test_approve_and_reject_at_once_audit_the_deciding_reject(journey):
    for _ in range(3):
        doc = journey.submit(journey.message("tier2-table"))
        statuses = _post_at_once(journey, doc, {DANA: "approve", DEV: "reject"})
        assert sorted(statuses) in ([200, 200], [200, 410])  # a reject may close it first
        output = journey.host.wait_for(doc)["output"]
        recorded = _recorded_votes(journey, doc)
        voted = _voted_request_ids(journey, doc)
        assert set(voted) == recorded and set(voted.values()) == {1}
        trail = audit_trail(journey.db, doc).events
        decisive = [e for e in trail if e.type == "voted" and e.data["decision"] != "pending"]
        assert len(decisive) == 1  # exactly one vote decided, and its event says so
        assert decisive[0].data["decision"] == output["status"].lower()
