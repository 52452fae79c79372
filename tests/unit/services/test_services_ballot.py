"""The ballot: one approval per role, any rejection rejects, escalation covers open roles,
record_vote is idempotent on the vote id."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from services.approval import tables
from services.approval.approvals import OpenedApproval, open_approval, redeem_token
from services.approval.assessment import DraftSummary, assess
from services.approval.ballot import DECISIONS as DECISIONS_
from services.approval.ballot import Vote, cast_vote, current_ballot, record_vote, tally, vote_data
from services.approval.policy import load_policy
from services.approval.tokens import SigningKeys
from services.errors import DecisionConflict, InvalidInput, NotFound
from services.records import tables as records_tables
from services.testing import fresh_database, sqlite_engine
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
KEYS = SigningKeys.parse("k")
DOC = "doc-ballot"


def vote(decision: str, *roles: str) -> Vote:
    return Vote(
        "v",
        "r",
        "d",
        "approver",
        roles,
        {"name": "n", "email": "e", "principalId": "p"},
        decision,
        "",
        T0,
    )


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([], ("pending", [])),
        ([vote("approve", "A")], ("pending", ["A"])),
        ([vote("approve", "A"), vote("approve", "A")], ("pending", ["A"])),
        ([vote("approve", "B"), vote("approve", "A")], ("approved", ["A", "B"])),
        ([vote("approve", "A", "B")], ("approved", ["A", "B"])),
        ([vote("approve", "A"), vote("reject", "B")], ("rejected", ["A"])),
        ([vote("reject", "A"), vote("approve", "A", "B")], ("rejected", [])),
        # The first decision stands: a rejection recorded after approval does not flip it.
        ([vote("approve", "A", "B"), vote("reject", "A")], ("approved", ["A", "B"])),
        ([vote("approve", "X")], ("pending", [])),  # a role that is not required counts for nothing
    ],
)
def test_tally(votes: list[Vote], expected: tuple[str, list[str]]) -> None:
    assert tally(["A", "B"], votes) == expected


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def open_doc(
    engine: sa.Engine,
    score: float = 0.5,
    kind: str = "table",
    extra_steward: bool = False,
    document_id: str = DOC,
) -> OpenedApproval:
    assessed = to_json(
        assess(
            load_policy(engine),
            DraftSummary.from_json(
                {"databaseName": "warehouse", "objectKind": kind, "qualityScore": score}
            ),
        )
    )
    if extra_steward:
        assessed["approvers"][0]["members"].append(
            {"name": "Sam", "email": "sam@example.com", "principalId": "sam@example.com"}
        )
    return open_approval(
        engine, KEYS, document_id=document_id, instance_id=document_id, assessment=assessed, now=T0
    )


def request_id(opened: OpenedApproval, email: str) -> str:
    return next(r.request_id for r in opened.requests if r.approver["email"] == email)


def test_single_route_needs_one_approval(engine: sa.Engine) -> None:
    opened = open_doc(engine, score=0.85)
    assert opened.route == "single"
    result = record_vote(
        engine,
        DOC,
        {"requestId": request_id(opened, "dana.steward@example.com"), "decision": "approve"},
        T0,
    )
    assert result.decision == "approved"
    assert result.approved_by[0].approver["email"] == "dana.steward@example.com"
    assert to_json(result)["approvedBy"][0]["email"] == "dana.steward@example.com"


def test_all_route_needs_every_role_and_one_member_per_role_suffices(engine: sa.Engine) -> None:
    opened = open_doc(engine, extra_steward=True)
    sam = request_id(opened, "sam@example.com")
    dana = request_id(opened, "dana.steward@example.com")
    dev = request_id(opened, "dev.dba@example.com")
    first = record_vote(engine, DOC, {"requestId": sam, "decision": "approve"}, T0)
    assert (first.decision, first.approved_roles, first.pending_roles) == (
        "pending",
        ("Data Steward",),
        ("DBA",),
    )
    done = record_vote(engine, DOC, {"requestId": dev, "decision": "approve"}, T0)
    assert done.decision == "approved"
    assert [v.request_id for v in done.votes] == [sam, dev]
    # Dana never needed to vote; once approved, her vote is ignored, not an error.
    late = record_vote(engine, DOC, {"requestId": dana, "decision": "reject"}, T0)
    assert late.decision == "approved"
    assert late.ignored_vote is not None and late.ignored_vote.reason == "Gone"


def test_record_vote_is_idempotent_on_the_vote(engine: sa.Engine) -> None:
    opened = open_doc(engine)
    token = next(str(r.token) for r in opened.requests if r.role == "DBA")
    cast = redeem_token(engine, KEYS, token, decision="approve", comment="ok", now=T0)
    event = to_json(cast.vote)  # what the API raises as the "approval" event
    for _ in range(3):  # at-least-once delivery of the event and of the activity
        result = record_vote(engine, DOC, event, T0 + timedelta(hours=1))
        assert result.ignored_vote is None
        assert "ignoredVote" not in to_json(result)
    assert [v.vote_id for v in result.votes] == [event["voteId"]]
    assert to_json(result)["votes"][0]["decidedAt"] == "2026-03-02T09:00:00Z"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.votes)).scalar_one() == 1
    conflicting = record_vote(engine, DOC, {**event, "decision": "reject"}, T0)
    assert conflicting.ignored_vote is not None
    assert conflicting.ignored_vote.reason == "DecisionConflict"
    assert to_json(conflicting)["ignoredVote"]["reason"] == "DecisionConflict"
    assert conflicting.decision == "pending"


def test_the_voted_event_stores_the_vote_as_the_wire_writes_it(engine: sa.Engine) -> None:
    """The audit trail's ``voted`` event and the API's ``approval`` event carry one shape."""
    opened = open_doc(engine)
    vote, _ = cast_vote(engine, request_id(opened, "dev.dba@example.com"), "reject", "no", T0)
    assert vote_data(vote) == to_json(vote)
    events = records_tables.audit_events
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(events.c.data).where(events.c.event_type == "voted")
        ).scalar_one()
    assert json.loads(stored)["vote"] == to_json(vote)


def test_one_rejection_rejects(engine: sa.Engine) -> None:
    opened = open_doc(engine)
    record_vote(
        engine,
        DOC,
        {"requestId": request_id(opened, "dana.steward@example.com"), "decision": "approve"},
        T0,
    )
    result = record_vote(
        engine,
        DOC,
        {
            "requestId": request_id(opened, "dev.dba@example.com"),
            "decision": "reject",
            "comment": "no",
        },
        T0,
    )
    assert result.decision == "rejected"
    assert to_json(result)["rejectedBy"]["email"] == "dev.dba@example.com"
    assert result.rejected_by is not None and result.rejected_by.comment == "no"
    assert current_ballot(engine, DOC).status == "rejected"


def test_bad_votes_name_the_field(engine: sa.Engine) -> None:
    opened = open_doc(engine)
    open_doc(engine, document_id="other")
    cases: list[tuple[Any, str]] = [
        ("approve", "vote"),
        ({"decision": "approve"}, "vote.requestId"),
        ({"requestId": opened.requests[0].request_id, "decision": "ok"}, "vote.decision"),
        (
            {"requestId": opened.requests[0].request_id, "decision": "approve", "comment": 5},
            "vote.comment",
        ),
        ({"requestId": "unknown", "decision": "approve"}, "vote.requestId"),
    ]
    for payload, field in cases:
        with pytest.raises(InvalidInput) as info:
            record_vote(engine, DOC, payload, T0)
        assert info.value.field == field
    with pytest.raises(InvalidInput, match="other"):
        record_vote(
            engine,
            "other",
            {"requestId": opened.requests[0].request_id, "decision": "approve"},
            T0,
        )
    with pytest.raises(NotFound):
        current_ballot(engine, "nobody")
    with pytest.raises(NotFound):
        cast_vote(engine, "unknown", "approve", "", T0)


def test_racing_decisions_on_one_request_record_exactly_one(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite"
    opened = open_doc(fresh_database(path))
    target = request_id(opened, "dev.dba@example.com")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(decision: str) -> None:
        engine = sqlite_engine(path)  # own engine: own connections
        barrier.wait()
        try:
            _, replayed = cast_vote(engine, target, decision, "", T0)
            outcome = f"{decision}:{'replay' if replayed else 'recorded'}"
        except DecisionConflict:
            outcome = f"{decision}:conflict"
        except Exception as exc:  # any other outcome must fail the assertions below
            outcome = f"{decision}:{exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=decide, args=(d,)) for d in ["approve", "reject"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 6
    recorded = [o for o in outcomes if o.endswith(":recorded")]
    assert len(recorded) == 1, outcomes
    winner = recorded[0].split(":")[0]
    assert all(
        o.endswith(":replay") for o in outcomes if o.startswith(winner) and o not in recorded
    )
    assert all(o.endswith(":conflict") for o in outcomes if not o.startswith(winner))
    with sqlite_engine(path).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.votes)).scalar_one() == 1


def test_racing_decisive_votes_end_the_approval_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "decisive.sqlite"
    engine = fresh_database(path)
    assessed = to_json(
        assess(
            load_policy(engine),
            DraftSummary.from_json(
                {"databaseName": "warehouse", "objectKind": "table", "qualityScore": 0.5}
            ),
        )
    )
    assessed["approvers"][1]["members"].append(
        {"name": "Other Dba", "email": "other.dba@example.com", "principalId": "other"}
    )
    opened = open_approval(
        engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessed, now=T0
    )
    cast_vote(engine, request_id(opened, "dana.steward@example.com"), "approve", "", T0)
    contenders = {
        "approve": request_id(opened, "dev.dba@example.com"),
        "reject": request_id(opened, "other.dba@example.com"),
    }
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(decision: str) -> None:
        own = sqlite_engine(path)
        barrier.wait()
        try:
            cast_vote(own, contenders[decision], decision, "", T0)
            outcomes[decision] = "recorded"
        except Exception as exc:  # the loser must be Gone; anything else fails below
            outcomes[decision] = type(exc).__name__

    threads = [threading.Thread(target=decide, args=(d,)) for d in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["Gone", "recorded"], outcomes
    winner = next(d for d, o in outcomes.items() if o == "recorded")
    final = current_ballot(engine, DOC)
    assert final.decision == {"approve": "approved", "reject": "rejected"}[winner]
    assert len(final.votes) == 2


def test_a_decided_ballot_carries_the_approval_record(engine: sa.Engine) -> None:
    opened = open_doc(engine)
    assert opened.ballot.record is None
    record_vote(
        engine,
        DOC,
        {
            "requestId": request_id(opened, "dana.steward@example.com"),
            "decision": "approve",
            "comment": "ok",
        },
        T0,
    )
    done = record_vote(
        engine,
        DOC,
        {"requestId": request_id(opened, "dev.dba@example.com"), "decision": "approve"},
        T0 + timedelta(hours=1),
    )
    assert to_json(done.record) == {
        "status": "Approved",
        "decidedAt": "2026-03-02T10:00:00Z",
        "tier": 2,
        "autoApproved": False,
        "votes": [
            {
                "role": "Data Steward",
                "approver": "dana.steward@example.com",
                "decision": "approve",
                "decidedAt": "2026-03-02T09:00:00Z",
                "comment": "ok",
            },
            {
                "role": "DBA",
                "approver": "dev.dba@example.com",
                "decision": "approve",
                "decidedAt": "2026-03-02T10:00:00Z",
                "comment": "",
            },
        ],
    }


def test_an_auto_approval_record(engine: sa.Engine) -> None:
    record = open_doc(engine, score=0.99, kind="function").ballot.record
    assert to_json(record) == {
        "status": "Approved",
        "decidedAt": "2026-03-02T09:00:00Z",
        "tier": 1,
        "autoApproved": True,
        "votes": [],
    }


_ROLES = ["A", "B", "C"]
_votes = st.lists(
    st.tuples(
        st.sampled_from(DECISIONS_),
        st.lists(st.sampled_from([*_ROLES, "X"]), min_size=1, max_size=3),
    ),
    max_size=8,
)


@given(_votes, st.integers(min_value=1, max_value=3))
def test_tally_properties(raw: list[tuple[str, list[str]]], required_count: int) -> None:
    required = _ROLES[:required_count]
    votes = [vote(decision, *roles) for decision, roles in raw]
    decision, approved = tally(required, votes)
    # Replay by hand: the first moment the ballot is decided fixes the outcome.
    seen: set[str] = set()
    expected = "pending"
    for v in votes:
        if v.decision == "reject":
            expected = "rejected"
            break
        seen.update(r for r in v.roles if r in required)
        if seen == set(required):
            expected = "approved"
            break
    assert decision == expected
    assert set(approved) == seen
    assert approved == [r for r in required if r in approved]  # in policy order
