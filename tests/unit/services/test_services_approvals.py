"""Approval requests and links: deadline, single use, 200/409/410/400/403, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.approval import tables
from services.approval.approvals import (
    OpenedApproval,
    Principal,
    close_approval,
    handle_deadline,
    inspect_token,
    open_approval,
    redeem_token,
)
from services.approval.assessment import DraftSummary, assess
from services.approval.documents import register_document, update_document
from services.approval.policy import ApprovalPolicy, load_policy
from services.approval.tokens import SigningKeys, TokenClaims, sign_token
from services.errors import (
    DecisionConflict,
    Forbidden,
    Gone,
    IdempotencyMismatch,
    InvalidInput,
    TokenInvalid,
)
from services.testing import fresh_database
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
KEYS = SigningKeys.parse("key-2026,key-2025")
DOC = "0f6a3c8e-2f11-4a9e-9d0c-000000000001"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


@pytest.fixture
def policy(engine: sa.Engine) -> ApprovalPolicy:
    return load_policy(engine)


def assessment(
    policy: ApprovalPolicy,
    kind: str = "table",
    score: float = 0.5,
    sensitive: tuple[str, ...] = (),
    database: str = "warehouse",
) -> dict[str, Any]:
    assessed = assess(
        policy,
        DraftSummary.from_json(
            {
                "databaseName": database,
                "objectKind": kind,
                "qualityScore": score,
                "sensitiveData": list(sensitive),
            }
        ),
    )
    return to_json(assessed)


def open_tier2(engine: sa.Engine, policy: ApprovalPolicy) -> OpenedApproval:
    return open_approval(
        engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessment(policy), now=T0
    )


def token_of(opened: OpenedApproval, role: str) -> str:
    return next(str(r.token) for r in opened.requests if r.role == role)


def test_opening_fixes_the_deadline_and_asks_every_member(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    opened = open_tier2(engine, policy)
    assert to_json(opened)["deadline"] == "2026-03-04T09:30:15Z"  # +48h, whole seconds
    assert opened.route == "all"
    assert [(r.role, r.approver["email"]) for r in opened.requests] == [
        ("Data Steward", "dana.steward@example.com"),
        ("DBA", "dev.dba@example.com"),
    ]
    assert all(r.deadline == opened.deadline for r in opened.requests)
    assert len({r.request_id for r in opened.requests}) == 2
    assert opened.ballot.decision == "pending"
    assert opened.ballot.pending_roles == ("Data Steward", "DBA")


def test_opening_again_returns_the_same_deadline_and_links(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    first = open_tier2(engine, policy)
    again = open_approval(
        engine,
        KEYS,
        document_id=DOC,
        instance_id=DOC,
        assessment=assessment(policy),
        now=T0 + timedelta(minutes=5),
    )
    assert again == first
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(tables.approval_requests)
            ).scalar_one()
            == 2
        )
    with pytest.raises(IdempotencyMismatch):
        open_approval(
            engine,
            KEYS,
            document_id=DOC,
            instance_id=DOC,
            assessment=assessment(policy, sensitive=("personal",)),
            now=T0,
        )


def test_a_role_with_two_members_gets_two_requests(tmp_path: Path, policy: ApprovalPolicy) -> None:
    engine = fresh_database(tmp_path / "two.sqlite")
    assessed = assessment(policy)
    assessed["approvers"][0]["members"].append(
        {"name": "Sam Steward", "email": "sam@example.com", "principalId": "sam-oid"}
    )
    opened = open_approval(
        engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessed, now=T0
    )
    assert [r.role for r in opened.requests].count("Data Steward") == 2


def test_auto_route_asks_nobody_and_is_approved(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_approval(
        engine,
        KEYS,
        document_id=DOC,
        instance_id=DOC,
        assessment=assessment(policy, kind="function", score=0.97),
        now=T0,
    )
    assert opened.route == "auto"
    assert opened.requests == ()
    assert opened.ballot.decision == "approved"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"route": "maybe"}, "assessment.route"),
        ({"tier": 0}, "assessment.tier"),
        ({"slaHours": "48"}, "assessment.slaHours"),
        ({"requiredRoles": "DBA"}, "assessment.requiredRoles"),
        ({"approvers": [{"role": "DBA", "members": []}]}, "assessment.approvers"),
        (
            {
                "approvers": [
                    {"role": "Data Steward", "members": [{"name": "x"}]},
                    {"role": "DBA", "members": [{"name": "y"}]},
                ]
            },
            "assessment.approvers[0].members[0].email",
        ),
        (
            {
                "approvers": [
                    {
                        "role": "Data Steward",
                        "members": [{"name": "x", "email": "x@example.com", "principalId": "x"}],
                    },
                    {
                        "role": "DBA",
                        "members": [
                            {"name": "y", "email": "y@example.com", "principalId": "y"},
                            {"name": "Y", "email": "Y@example.com", "principalId": "y2"},
                        ],
                    },
                ]
            },
            "assessment.approvers[1].members[1].email",
        ),
    ],
)
def test_a_bad_assessment_names_the_field(
    engine: sa.Engine, policy: ApprovalPolicy, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        open_approval(
            engine,
            KEYS,
            document_id=DOC,
            instance_id=DOC,
            assessment={**assessment(policy), **change},
            now=T0,
        )
    assert info.value.field == field


def test_looking_at_a_link_changes_nothing(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    for _ in range(3):
        page = inspect_token(engine, KEYS, token, now=T0 + timedelta(hours=1))
        assert page.state == "open"
        assert page.vote is None
    assert page.request.role == "DBA"
    assert page.request.token is None
    assert "token" not in to_json(page)["request"]
    assert page.assessment["tier"] == 2
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.votes)).scalar_one() == 0


def test_same_decision_again_is_a_replay_a_different_one_a_conflict(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    first = redeem_token(
        engine, KEYS, token, decision="approve", comment=" fine ", now=T0 + timedelta(hours=1)
    )
    assert not first.replayed
    assert first.instance_id == DOC
    assert to_json(first)["instanceId"] == DOC
    assert first.vote.roles == ("DBA",)
    assert first.vote.comment == "fine"
    again = redeem_token(
        engine, KEYS, token, decision="Approve", comment="fine", now=T0 + timedelta(hours=2)
    )
    assert again.replayed
    assert again.vote == first.vote  # the recorded vote, with its original time
    with pytest.raises(DecisionConflict) as info:
        redeem_token(engine, KEYS, token, decision="reject", now=T0 + timedelta(hours=2))
    assert info.value.status == 409
    assert first.ballot.approved_roles == ("DBA",)
    assert first.ballot.pending_roles == ("Data Steward",)
    page = inspect_token(engine, KEYS, token, now=T0 + timedelta(hours=3))
    assert page.state == "decided"
    assert page.vote is not None and page.vote.decision == "approve"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.votes)).scalar_one() == 1


def test_after_the_deadline_the_link_is_gone(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_tier2(engine, policy)
    token = token_of(opened, "DBA")
    deadline = opened.deadline
    redeem_token(
        engine,
        KEYS,
        token_of(opened, "Data Steward"),
        decision="approve",
        now=deadline - timedelta(seconds=1),
    )
    assert inspect_token(engine, KEYS, token, now=deadline).state == "expired"
    with pytest.raises(Gone) as info:
        redeem_token(engine, KEYS, token, decision="approve", now=deadline)
    assert info.value.status == 410


def test_after_the_end_the_other_links_are_gone(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_tier2(engine, policy)
    rejected = redeem_token(
        engine,
        KEYS,
        token_of(opened, "Data Steward"),
        decision="reject",
        comment="wrong owner",
        now=T0 + timedelta(hours=1),
    )
    assert rejected.ballot.decision == "rejected"
    assert rejected.ballot.rejected_by is not None
    assert rejected.ballot.rejected_by.comment == "wrong owner"
    dba = token_of(opened, "DBA")
    assert inspect_token(engine, KEYS, dba, now=T0 + timedelta(hours=2)).state == "ended"
    with pytest.raises(Gone, match="rejected"):
        redeem_token(engine, KEYS, dba, decision="approve", now=T0 + timedelta(hours=2))
    # The rejecting approver repeating themselves still gets their recorded vote.
    assert redeem_token(
        engine,
        KEYS,
        token_of(opened, "Data Steward"),
        decision="reject",
        now=T0 + timedelta(hours=3),
    ).replayed


def test_a_cancelled_approval_answers_gone(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_tier2(engine, policy)
    ballot = close_approval(engine, DOC, "cancelled", T0 + timedelta(hours=1))
    assert ballot is not None and ballot.status == "cancelled"
    again = close_approval(engine, DOC, "timed-out", T0 + timedelta(hours=2))
    assert again is not None and again.status == "cancelled"  # the first end stands
    with pytest.raises(Gone, match="cancelled"):
        redeem_token(
            engine, KEYS, token_of(opened, "DBA"), decision="approve", now=T0 + timedelta(hours=3)
        )
    with pytest.raises(InvalidInput):
        close_approval(engine, DOC, "approved", T0)
    # A revision that failed before it asked anyone has no approval: closing it is a no-op,
    # so the failure path that calls this cannot itself fail.
    assert close_approval(engine, "no-such-document", "cancelled", T0) is None


def test_tampered_and_foreign_tokens_are_invalid(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in (tampered, "garbage", token.replace(".", "")):
        with pytest.raises(TokenInvalid) as info:
            redeem_token(engine, KEYS, bad, decision="approve", now=T0)
        assert info.value.status == 400
        with pytest.raises(TokenInvalid):
            inspect_token(engine, KEYS, bad, now=T0)
    # Signed with our key but naming a request we never issued, or one with another role.
    unknown = sign_token(
        KEYS, TokenClaims("nope", "dev.dba@example.com", "DBA", DOC, T0 + timedelta(days=1))
    )
    with pytest.raises(TokenInvalid, match="names no request"):
        redeem_token(engine, KEYS, unknown, decision="approve", now=T0)
    with pytest.raises(TokenInvalid):
        redeem_token(
            engine, SigningKeys.parse("someone-elses-key"), token, decision="approve", now=T0
        )


def test_links_survive_key_rotation(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_approval(
        engine,
        SigningKeys.parse("key-2025"),
        document_id=DOC,
        instance_id=DOC,
        assessment=assessment(policy),
        now=T0,
    )
    old = token_of(opened, "DBA")
    result = redeem_token(engine, KEYS, old, decision="approve", now=T0 + timedelta(hours=1))
    assert not result.replayed
    with pytest.raises(TokenInvalid):  # once the old key is retired, so are its links
        redeem_token(engine, SigningKeys.parse("key-2026"), old, decision="approve", now=T0)


def test_the_signed_in_principal_must_be_the_approver(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    later = T0 + timedelta(hours=1)
    with pytest.raises(Forbidden) as info:
        redeem_token(
            engine,
            KEYS,
            token,
            decision="approve",
            now=later,
            principal=Principal(id="someone-else", name="dana.steward@example.com"),
        )
    assert info.value.status == 403
    with pytest.raises(Forbidden):
        inspect_token(engine, KEYS, token, now=later, principal=Principal(name="x@example.com"))
    ok = redeem_token(
        engine,
        KEYS,
        token,
        decision="approve",
        now=later,
        principal=Principal(id="aad-oid", name="Dev.DBA@Example.com"),
    )
    assert ok.vote.approver["email"] == "dev.dba@example.com"


def test_principal_may_match_by_object_id(tmp_path: Path, policy: ApprovalPolicy) -> None:
    engine = fresh_database(tmp_path / "oid.sqlite")
    assessed = assessment(policy)
    assessed["approvers"][1]["members"] = [
        {"name": "Dev", "email": "dev@example.com", "principalId": "7f2c-oid"}
    ]
    opened = open_approval(
        engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessed, now=T0
    )
    result = redeem_token(
        engine,
        KEYS,
        token_of(opened, "DBA"),
        decision="reject",
        now=T0,
        principal=Principal(id="7F2C-OID"),
    )
    assert result.ballot.decision == "rejected"


def test_a_bad_decision_names_the_field(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    with pytest.raises(InvalidInput) as info:
        redeem_token(engine, KEYS, token, decision="maybe", now=T0)
    assert info.value.field == "decision"


def test_escalation_extends_the_deadline_and_contacts_decide_for_all_open_roles(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    opened = open_tier2(engine, policy)
    deadline = opened.deadline
    redeem_token(
        engine,
        KEYS,
        token_of(opened, "Data Steward"),
        decision="approve",
        now=T0 + timedelta(hours=1),
    )
    with pytest.raises(InvalidInput, match="has not passed"):
        handle_deadline(
            engine,
            KEYS,
            policy=policy,
            document_id=DOC,
            deadline=deadline,
            now=deadline - timedelta(seconds=1),
        )
    escalated = handle_deadline(
        engine, KEYS, policy=policy, document_id=DOC, deadline=deadline, now=deadline
    )
    assert escalated.outcome == "escalated"
    assert escalated.round == 1
    assert to_json(escalated)["deadline"] == "2026-03-05T09:30:15Z"
    [contact] = escalated.requests
    assert contact.approver["email"] == "erin.escalation@example.com"
    assert contact.role == "*"
    assert contact.kind == "escalation"
    # A retry of the same step replays the round instead of escalating twice.
    assert (
        handle_deadline(
            engine,
            KEYS,
            policy=policy,
            document_id=DOC,
            deadline=deadline,
            now=deadline + timedelta(minutes=1),
        )
        == escalated
    )
    # The original approvers' links expired with the first deadline.
    with pytest.raises(Gone):
        redeem_token(
            engine,
            KEYS,
            token_of(opened, "DBA"),
            decision="approve",
            now=deadline + timedelta(hours=1),
        )
    result = redeem_token(
        engine, KEYS, str(contact.token), decision="approve", now=deadline + timedelta(hours=1)
    )
    assert result.vote.roles == ("DBA",)  # the role still open, not the approved one
    assert result.ballot.decision == "approved"
    assert result.ballot.approved_roles == ("Data Steward", "DBA")
    done = handle_deadline(
        engine,
        KEYS,
        policy=policy,
        document_id=DOC,
        deadline=escalated.deadline,
        now=deadline + timedelta(hours=24),
    )
    assert done.outcome == "decided"


def test_the_second_deadline_times_out_and_late_decisions_are_gone(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    opened = open_tier2(engine, policy)
    first = opened.deadline
    escalated = handle_deadline(
        engine, KEYS, policy=policy, document_id=DOC, deadline=first, now=first
    )
    second = escalated.deadline
    assert second - first == timedelta(hours=24)
    with pytest.raises(InvalidInput, match="deadline"):
        handle_deadline(
            engine,
            KEYS,
            policy=policy,
            document_id=DOC,
            deadline=second + timedelta(1),
            now=second + timedelta(days=2),
        )
    timed_out = handle_deadline(
        engine, KEYS, policy=policy, document_id=DOC, deadline=second, now=second
    )
    assert timed_out.outcome == "timedOut"
    assert timed_out.ballot.status == "timed-out"
    assert (
        handle_deadline(
            engine, KEYS, policy=policy, document_id=DOC, deadline=second, now=second
        ).outcome
        == "timedOut"
    )
    contact = str(escalated.requests[0].token)
    with pytest.raises(Gone):
        redeem_token(engine, KEYS, contact, decision="approve", now=second)
    assert inspect_token(engine, KEYS, contact, now=second).state == "ended"


def test_a_decided_approval_is_not_escalated(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_tier2(engine, policy)
    redeem_token(engine, KEYS, token_of(opened, "DBA"), decision="reject", now=T0)
    deadline = opened.deadline
    result = handle_deadline(
        engine, KEYS, policy=policy, document_id=DOC, deadline=deadline, now=deadline
    )
    assert result.outcome == "decided"
    assert result.requests == ()
    assert result.ballot.decision == "rejected"


def test_escalation_closes_the_original_links_whatever_the_callers_clock(
    engine: sa.Engine, policy: ApprovalPolicy
) -> None:
    opened = open_tier2(engine, policy)
    deadline = opened.deadline
    handle_deadline(engine, KEYS, policy=policy, document_id=DOC, deadline=deadline, now=deadline)
    dba = token_of(opened, "DBA")
    wall_clock = deadline - timedelta(hours=1)  # an API whose clock lags the workflow's
    assert inspect_token(engine, KEYS, dba, now=wall_clock).state == "expired"
    with pytest.raises(Gone, match="escalated"):
        redeem_token(engine, KEYS, dba, decision="approve", now=wall_clock)


def test_the_page_shows_the_document_record(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    assert inspect_token(engine, KEYS, token, now=T0).document is None
    register_document(
        engine,
        document_id=DOC,
        instance_id=DOC,
        database_name="warehouse",
        physical_name="sales.customers",
        change_type="Created",
        requested_by="ann@example.com",
        now=T0,
    )
    update_document(engine, DOC, {"draftUrl": "http://blob/drafts/d.docx"}, T0)
    page = inspect_token(engine, KEYS, token, now=T0)
    assert page.document is not None
    assert page.document.physical_name == "sales.customers"
    assert page.document.links.draft == "http://blob/drafts/d.docx"


def test_comments_are_bounded(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    with pytest.raises(InvalidInput) as info:
        redeem_token(engine, KEYS, token, decision="approve", comment="x" * 4001, now=T0)
    assert info.value.field == "comment"


def test_nobody_signed_in_is_not_the_approver(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    token = token_of(open_tier2(engine, policy), "DBA")
    with pytest.raises(Forbidden):
        redeem_token(engine, KEYS, token, decision="approve", now=T0, principal=Principal())


def test_a_cancelled_approval_is_not_escalated(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    opened = open_tier2(engine, policy)
    close_approval(engine, DOC, "cancelled", T0)
    deadline = opened.deadline
    assert (
        handle_deadline(
            engine, KEYS, policy=policy, document_id=DOC, deadline=deadline, now=deadline
        ).outcome
        == "cancelled"
    )


def test_ids_and_people_must_fit_their_columns(engine: sa.Engine, policy: ApprovalPolicy) -> None:
    with pytest.raises(InvalidInput) as info:
        open_approval(
            engine,
            KEYS,
            document_id="d" * 65,
            instance_id=DOC,
            assessment=assessment(policy),
            now=T0,
        )
    assert info.value.field == "documentId"
    assessed = assessment(policy)
    assessed["approvers"][1]["members"][0]["email"] = "x" * 250 + "@example.com"
    with pytest.raises(InvalidInput) as info:
        open_approval(engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessed, now=T0)
    assert info.value.field == "assessment.approvers[1].members[0].email"
