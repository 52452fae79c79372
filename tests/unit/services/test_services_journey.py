"""The services in the order the document-approval workflow calls them, with at-least-once
retries: this is the contract the activities are written against."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services import (
    Ballot,
    IndexUpdate,
    NotFound,
    OpenedApproval,
    SigningKeys,
    append_next,
    assess_draft,
    audit_trail,
    derive_id,
    document_view,
    handle_deadline,
    index_entry,
    open_approval,
    record_vote,
    redeem_token,
    register_document,
    restore_previous,
    update_document,
    update_master_index,
)
from services.testing import fresh_database, sqlite_engine
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
KEYS = SigningKeys.parse("journey-key")


def audit(engine: sa.Engine, document_id: str, step: str, data: dict[str, Any]) -> None:
    """What the record_event activity does; retried here to prove it is idempotent."""
    for _ in range(2):
        append_next(
            engine,
            document_id,
            event_id=derive_id(document_id, step),
            event_type=step.split(":", maxsplit=1)[0],
            data=data,
            now=T0,
        )


def submit_and_assess(
    engine: sa.Engine, document_id: str, summary: dict[str, Any], name: str = "sales.customers"
) -> OpenedApproval:
    register_document(
        engine,
        document_id=document_id,
        instance_id=document_id,
        database_name=summary["databaseName"],
        physical_name=name,
        change_type="Altered",
        requested_by="ann@example.com",
        now=T0,
    )
    audit(engine, document_id, "submitted", {"physicalName": name})
    update_document(
        engine,
        document_id,
        {"status": "drafted", "draftUrl": f"http://blob/drafts/{document_id}"},
        T0,
    )
    audit(engine, document_id, "drafted", {})
    assessed = to_json(assess_draft(engine, summary))
    audit(engine, document_id, "assessed", {"tier": assessed["tier"], "score": assessed["score"]})
    opened: OpenedApproval | None = None
    for _ in range(2):  # notify_approvers retried: same deadline, same links
        again = open_approval(
            engine,
            KEYS,
            document_id=document_id,
            instance_id=document_id,
            assessment=assessed,
            now=T0,
        )
        assert opened is None or again == opened
        opened = again
    assert opened is not None
    audit(engine, document_id, "notified", {"requests": len(opened.requests)})
    return opened


def file_and_index(
    engine: sa.Engine, document_id: str, ballot: Ballot, name: str = "sales.customers"
) -> IndexUpdate:
    url = f"http://library/Documentation/warehouse/{name}.docx"
    update_document(engine, document_id, {"status": "filed", "libraryUrl": url}, T0)
    audit(engine, document_id, "filed", {"libraryUrl": url})
    indexed = None
    for _ in range(2):
        indexed = update_master_index(
            engine,
            document_id=document_id,
            database_name="warehouse",
            physical_name=name,
            entry={
                "libraryUrl": url,
                "approvedBy": [a.approver["email"] for a in ballot.approved_by],
            },
            now=T0,
        )
    assert indexed is not None
    audit(engine, document_id, "indexed", {"version": indexed.version})
    update_document(engine, document_id, {"status": "completed"}, T0)
    return indexed


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def test_tier_two_full_chain(engine: sa.Engine) -> None:
    doc = "doc-tier2"
    opened = submit_and_assess(
        engine, doc, {"databaseName": "warehouse", "objectKind": "table", "qualityScore": 0.6}
    )
    assert [r.role for r in opened.requests] == ["Data Steward", "DBA"]
    ballot: Ballot | None = None
    for request in opened.requests:
        vote = to_json(
            redeem_token(
                engine, KEYS, str(request.token), decision="approve", now=T0 + timedelta(hours=1)
            ).vote
        )
        for _ in range(2):  # the approval event delivered twice
            ballot = record_vote(engine, doc, vote, T0 + timedelta(hours=1))
    assert ballot is not None and ballot.decision == "approved"
    indexed = file_and_index(engine, doc, ballot)
    assert indexed.version == 1
    view = document_view(engine, doc, T0 + timedelta(hours=2))
    assert view.status == "completed"
    assert to_json(view)["masterIndex"]["current"]["entry"]["approvedBy"] == [
        "dana.steward@example.com",
        "dev.dba@example.com",
    ]
    trail = audit_trail(engine, doc)
    assert trail.verification.ok
    assert [e.type for e in trail.events] == [
        "submitted",
        "drafted",
        "assessed",
        "notified",
        "voted",
        "voted",
        "filed",
        "indexed",
    ]
    voted = [e.data for e in trail.events if e.type == "voted"]
    assert [v["decision"] for v in voted] == ["pending", "approved"]  # casting records each


def test_tier_three_rejection_leaves_the_index_alone(engine: sa.Engine) -> None:
    opened = submit_and_assess(
        engine,
        "doc-tier3",
        {
            "databaseName": "warehouse",
            "objectKind": "table",
            "qualityScore": 0.99,
            "sensitiveData": ["personal"],
        },
    )
    compliance = next(r for r in opened.requests if r.role == "Compliance")
    vote = to_json(
        redeem_token(
            engine,
            KEYS,
            str(compliance.token),
            decision="reject",
            comment="masking missing",
            now=T0,
        ).vote
    )
    assert record_vote(engine, "doc-tier3", vote, T0).decision == "rejected"
    update_document(engine, "doc-tier3", {"status": "rejected", "draftUrl": None}, T0)
    with pytest.raises(NotFound, match="not in the master index"):
        index_entry(engine, "warehouse", "sales.customers")


def test_auto_approval_records_the_score(engine: sa.Engine) -> None:
    opened = submit_and_assess(
        engine,
        "doc-auto",
        {"databaseName": "warehouse", "objectKind": "function", "qualityScore": 0.97},
        name="dbo.fn",
    )
    assert opened.requests == ()
    assert opened.ballot.decision == "approved"
    assessed = next(e for e in audit_trail(engine, "doc-auto").events if e.type == "assessed")
    assert assessed.data == {"tier": 1, "score": 0.97}


def test_escalation_then_contact_approves(engine: sa.Engine) -> None:
    doc = "doc-late"
    opened = submit_and_assess(
        engine, doc, {"databaseName": "finance", "objectKind": "table", "qualityScore": 0.9}
    )
    assert len(opened.requests) == 4
    deadline = opened.deadline
    assert deadline - T0 == timedelta(hours=120)
    escalated = handle_deadline(engine, KEYS, document_id=doc, deadline=deadline, now=deadline)
    vote = to_json(
        redeem_token(
            engine,
            KEYS,
            str(escalated.requests[0].token),
            decision="approve",
            now=deadline + timedelta(hours=1),
        ).vote
    )
    ballot = record_vote(engine, doc, vote, deadline + timedelta(hours=1))
    assert ballot.decision == "approved"
    assert ballot.approved_roles == ("Data Steward", "DBA", "Compliance", "Governance Lead")


def test_a_failure_after_indexing_restores_version_one(engine: sa.Engine) -> None:
    for doc in ("doc-v1", "doc-v2"):
        opened = submit_and_assess(
            engine, doc, {"databaseName": "warehouse", "objectKind": "table", "qualityScore": 0.85}
        )
        vote = to_json(
            redeem_token(
                engine, KEYS, str(opened.requests[0].token), decision="approve", now=T0
            ).vote
        )
        file_and_index(engine, doc, record_vote(engine, doc, vote, T0))
    assert index_entry(engine, "warehouse", "sales.customers").current_version == 2
    for _ in range(2):  # the compensation retried
        restore_previous(engine, document_id="doc-v2", now=T0)
    audit(engine, "doc-v2", "compensated:index", {"restoredVersion": 1})
    entry = index_entry(engine, "warehouse", "sales.customers")
    assert (entry.current_version, len(entry.versions)) == (1, 2)
    assert audit_trail(engine, "doc-v2").verification.ok


def test_many_documents_in_flight_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.sqlite"
    fresh_database(path).dispose()
    documents, errors = 16, []

    def run(n: int) -> None:
        engine = sqlite_engine(path)
        doc = f"doc-{n:02d}"
        try:
            opened = submit_and_assess(
                engine,
                doc,
                {"databaseName": "warehouse", "objectKind": "table", "qualityScore": 0.6},
                name=f"sales.t{n % 4}",
            )  # four documents per object: versions race too
            ballot: Ballot | None = None
            for request in opened.requests:
                vote = to_json(
                    redeem_token(engine, KEYS, str(request.token), decision="approve", now=T0).vote
                )
                ballot = record_vote(engine, doc, vote, T0)
            assert ballot is not None
            file_and_index(engine, doc, ballot, name=f"sales.t{n % 4}")
        except Exception as exc:  # collected, asserted empty below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(documents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = sqlite_engine(path)
    for n in range(documents):
        assert document_view(engine, f"doc-{n:02d}", T0).status == "completed"
        assert audit_trail(engine, f"doc-{n:02d}").verification.ok
    for table in range(4):
        versions = index_entry(engine, "warehouse", f"sales.t{table}").versions
        assert [v.version for v in versions] == [1, 2, 3, 4]
