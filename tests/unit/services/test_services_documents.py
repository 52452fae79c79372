"""Document records: the view behind GET /api/documents/{id}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.approval.approvals import handle_deadline, open_approval, redeem_token
from services.approval.assessment import DraftSummary, assess
from services.approval.documents import (
    DocumentRecord,
    document_view,
    register_document,
    update_document,
)
from services.approval.master_index import update_master_index
from services.approval.policy import load_policy
from services.approval.tokens import SigningKeys
from services.errors import IdempotencyMismatch, InvalidInput, NotFound
from services.testing import fresh_database
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DOC = "5d1f5a2e-4c1b-4f0e-8a43-1c2d3e4f5a6b"
KEYS = SigningKeys.parse("k")


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = fresh_database(tmp_path / "app.sqlite")
    register(engine)
    return engine


def register(engine: sa.Engine, **change: str) -> DocumentRecord:
    args = {
        "document_id": DOC,
        "instance_id": DOC,
        "database_name": "warehouse",
        "physical_name": "sales.customers",
        "change_type": "Altered",
        "requested_by": "ann@example.com",
        **change,
    }
    return register_document(engine, now=T0, **args)


def test_a_submitted_document(engine: sa.Engine) -> None:
    view = document_view(engine, DOC, T0, base_url="http://127.0.0.1:7071/")
    assert view.status == "submitted"
    assert to_json(view.links) == {
        "draft": None,
        "final": None,
        "library": None,
        "self": f"http://127.0.0.1:7071/api/documents/{DOC}",
        "events": f"http://127.0.0.1:7071/api/documents/{DOC}/events",
    }
    assert view.approval is None
    assert view.waiting_for == ()
    assert view.votes == ()
    assert view.master_index is None
    assert to_json(view)["masterIndex"] is None  # null, not absent
    # A bare record has no API links: the keys are absent, not null.
    assert set(to_json(register(engine))["links"]) == {"draft", "final", "library"}


def test_registering_again_is_a_no_op_but_other_details_are_refused(engine: sa.Engine) -> None:
    update_document(engine, DOC, {"status": "drafted"}, T0)
    assert register(engine).status == "drafted"  # a retry does not reset the status
    with pytest.raises(IdempotencyMismatch):
        register(engine, physical_name="sales.orders")


def test_updates_set_status_and_links(engine: sa.Engine) -> None:
    record = update_document(
        engine,
        DOC,
        {"status": "drafted", "draftUrl": "http://blob/drafts/x.docx"},
        T0 + timedelta(minutes=1),
    )
    assert record.links.draft == "http://blob/drafts/x.docx"
    assert to_json(record)["updatedAt"] == "2026-03-02T09:01:00Z"
    record = update_document(
        engine, DOC, {"draftUrl": None, "status": "rejected", "reason": "rejected by DBA"}, T0
    )
    assert record.links.draft is None
    assert (record.status, record.reason) == ("rejected", "rejected by DBA")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "changes"),
        ({"status": "lost"}, "changes.status"),
        ({"owner": "x"}, "changes.owner"),
        ({"draftUrl": 5}, "changes.draftUrl"),
    ],
)
def test_bad_updates_name_the_field(
    engine: sa.Engine, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        update_document(engine, DOC, changes, T0)
    assert info.value.field == field


def test_unknown_documents(engine: sa.Engine) -> None:
    with pytest.raises(NotFound):
        document_view(engine, "nope", T0)
    with pytest.raises(NotFound):
        update_document(engine, "nope", {"status": "drafted"}, T0)
    with pytest.raises(InvalidInput) as info:
        register(engine, document_id="other", change_type="Renamed")
    assert info.value.field == "changeType"


def test_the_view_while_waiting_for_votes_and_after(engine: sa.Engine) -> None:
    policy = load_policy(engine)
    assessed = to_json(
        assess(
            policy,
            DraftSummary.from_json(
                {"databaseName": "warehouse", "objectKind": "table", "qualityScore": 0.5}
            ),
        )
    )
    opened = open_approval(
        engine, KEYS, document_id=DOC, instance_id=DOC, assessment=assessed, now=T0
    )
    update_document(engine, DOC, {"status": "awaiting-approval"}, T0)
    steward = next(str(r.token) for r in opened.requests if r.role == "Data Steward")
    redeem_token(engine, KEYS, steward, decision="approve", now=T0 + timedelta(hours=1))
    view = document_view(engine, DOC, T0 + timedelta(hours=2))
    assert to_json(view.approval) == {
        "tier": 2,
        "tierName": "Table, view or procedure",
        "route": "all",
        "slaHours": 48,
        "score": 0.5,
        "deadline": "2026-03-04T09:00:00Z",
        "escalations": 0,
        "status": "open",
        "decision": "pending",
        "requiredRoles": ["Data Steward", "DBA"],
        "approvedRoles": ["Data Steward"],
        "pendingRoles": ["DBA"],
    }
    assert to_json(view.waiting_for) == [
        {
            "role": "DBA",
            "deadline": "2026-03-04T09:00:00Z",
            "approvers": [{"name": "Dev Dba", "email": "dev.dba@example.com", "kind": "approver"}],
        }
    ]
    assert [v.approver["email"] for v in view.votes] == ["dana.steward@example.com"]

    deadline = opened.deadline
    handle_deadline(engine, KEYS, policy=policy, document_id=DOC, deadline=deadline, now=deadline)
    escalated = document_view(engine, DOC, deadline + timedelta(minutes=1))
    assert escalated.approval is not None and escalated.approval.escalations == 1
    # Seen from a clock that lags the workflow's, the escalated requests are still gone.
    assert document_view(engine, DOC, T0).waiting_for == escalated.waiting_for
    assert to_json(escalated.waiting_for) == [
        {
            "role": "DBA",
            "deadline": "2026-03-05T09:00:00Z",
            "approvers": [
                {
                    "name": "Erin Escalation",
                    "email": "erin.escalation@example.com",
                    "kind": "escalation",
                }
            ],
        }
    ]

    update_master_index(
        engine,
        document_id=DOC,
        database_name="warehouse",
        physical_name="sales.customers",
        entry={"libraryUrl": "u"},
        now=T0,
    )
    indexed = document_view(engine, DOC, T0)
    assert to_json(indexed)["masterIndex"]["currentVersion"] == 1
    assert to_json(indexed)["masterIndex"]["current"]["documentId"] == DOC


def test_values_longer_than_their_columns_are_refused(engine: sa.Engine) -> None:
    """SQLite would store them; SQL Server would fail the insert. Both now answer 400."""
    with pytest.raises(InvalidInput, match="at most 256 characters") as info:
        register(engine, document_id="long", physical_name="s." + "x" * 255)
    assert info.value.field == "physicalName"
    with pytest.raises(InvalidInput, match="at most 64") as info:
        register(engine, document_id="d" * 65)
    assert info.value.field == "documentId"
