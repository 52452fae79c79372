"""Document records: where each document stands, for ``GET /api/documents/{id}``.

The ``documents`` table holds what the workflow reports for the current revision (status,
links, reason); ``document_revisions`` keeps each revision's run and how it ended. The view
joins them with the current approval (who is still asked, the deadline, votes so far) and the
object's master-index entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services._fields import json_name, omit_none
from services._input import required_text
from services._time import utc
from services._transaction import in_transaction
from services.approval import tables
from services.approval.ballot import Vote, ballot_of, load_case, load_requests, load_votes
from services.approval.master_index import IndexEntry, index_entry
from services.errors import Conflict, IdempotencyMismatch, InvalidInput, NotFound

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "ApprovalSummary",
    "DocumentLinks",
    "DocumentRecord",
    "DocumentView",
    "RevisionSummary",
    "StartedRevision",
    "WaitingApprover",
    "WaitingRole",
    "apply_changes",
    "current_revision",
    "document_record",
    "document_view",
    "end_revision",
    "register_document",
    "start_revision",
    "update_document",
    "waiting_for",
]

STATUSES = (
    "submitted",
    "drafted",
    "awaiting-approval",
    "escalated",
    "approved",
    "rejected",
    "timed-out",
    "filed",
    "indexed",
    "completed",
    "failed",
    "compensated",
)
# How a revision's run can end (``end_revision``); the document keeps the status afterwards.
OUTCOMES = ("approved", "rejected", "timed-out", "failed")
CHANGE_TYPES = ("Created", "Altered", "Dropped")
# JSON field -> column of the fields a workflow step may set.
_UPDATABLE = {
    "status": "status",
    "draftUrl": "draft_url",
    "finalUrl": "final_url",
    "libraryUrl": "library_url",
    "reason": "reason",
}


@dataclass(frozen=True, slots=True)
class DocumentLinks:
    """Where the document's files are (None: not made yet, or deleted); the view adds its own
    API links (``self``, ``events``), which a bare record leaves out."""

    draft: str | None
    final: str | None
    library: str | None
    self_: str | None = field(default=None, metadata=json_name("self") | omit_none())
    events: str | None = field(default=None, metadata=omit_none())


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """Where a document stands: its object, its current revision and status, its links."""

    document_id: str
    instance_id: str
    database_name: str
    physical_name: str
    change_type: str  # Created | Altered | Dropped
    requested_by: str
    revision: int  # 0: registered, no run yet
    status: str  # one of STATUSES
    reason: str | None
    created_at: datetime
    updated_at: datetime
    links: DocumentLinks


@dataclass(frozen=True, slots=True)
class StartedRevision(DocumentRecord):
    """``start_revision``'s result: the record, and the revision before this run's (None for
    the first)."""

    previous_revision: int | None


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    """One revision of a document: its run's change and how it ended (``ended_at`` None while
    it runs)."""

    revision: int
    change_type: str
    requested_by: str
    status: str
    reason: str | None
    library_url: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class WaitingApprover:
    name: str
    email: str
    kind: str  # approver | escalation


@dataclass(frozen=True, slots=True)
class WaitingRole:
    """A role still to decide and who can still decide it, until ``deadline``."""

    role: str
    deadline: datetime
    approvers: tuple[WaitingApprover, ...]


@dataclass(frozen=True, slots=True)
class ApprovalSummary:
    """The current revision's approval as the document view shows it. ``tier_name``,
    ``sla_hours`` and ``score`` are the stored assessment's, as it gave them (None when it had
    none)."""

    tier: int
    tier_name: object
    route: str
    sla_hours: int | None
    score: object
    deadline: datetime
    escalations: int
    status: str
    decision: str
    required_roles: tuple[str, ...]
    approved_roles: tuple[str, ...]
    pending_roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentView(DocumentRecord):
    """Everything ``GET /api/documents/{id}`` shows: the record (its links with ``self`` and
    ``events``), its revisions, the current approval, who it waits for, the votes so far, and
    the object's master-index entry."""

    revisions: tuple[RevisionSummary, ...]
    approval: ApprovalSummary | None
    waiting_for: tuple[WaitingRole, ...]
    votes: tuple[Vote, ...]
    master_index: IndexEntry | None  # None: the object is not indexed yet


def _object_row(
    *,
    document_id: str,
    instance_id: str,
    database_name: str,
    physical_name: str,
    change_type: str,
    requested_by: str,
) -> dict[str, str]:
    if change_type not in CHANGE_TYPES:
        raise InvalidInput("changeType", f"expected one of {', '.join(CHANGE_TYPES)}")
    d = tables.documents
    return {
        "document_id": required_text(document_id, "documentId", d.c.document_id),
        "instance_id": required_text(instance_id, "instanceId", d.c.instance_id),
        "database_name": required_text(database_name, "databaseName", d.c.database_name),
        "physical_name": required_text(physical_name, "physicalName", d.c.physical_name),
        "change_type": change_type,
        "requested_by": required_text(requested_by, "requestedBy", d.c.requested_by),
    }


def _same_object(existing: RowMapping, row: Mapping[str, str]) -> None:
    """A document id names one object for good: another object under it is refused."""
    if (existing["database_name"], existing["physical_name"]) != (
        row["database_name"],
        row["physical_name"],
    ):
        raise IdempotencyMismatch(
            f"document {row['document_id']} documents {existing['database_name']}."
            f"{existing['physical_name']}, not {row['database_name']}.{row['physical_name']}"
        )


def _registered(conn: Connection, row: Mapping[str, str], now: datetime) -> RowMapping | None:
    """The document's row as it was (checked to name the same object), or None after
    registering it now (status ``submitted``, no revision yet)."""
    d = tables.documents
    existing = (
        conn.execute(sa.select(d).where(d.c.document_id == row["document_id"])).mappings().first()
    )
    if existing is None:
        conn.execute(
            sa.insert(d).values(
                **row, revision=0, status="submitted", created_at=now, updated_at=now
            )
        )
    else:
        _same_object(existing, row)
    return existing


def register_document(
    engine: Engine,
    *,
    document_id: str,
    instance_id: str,
    database_name: str,
    physical_name: str,
    change_type: str,
    requested_by: str,
    now: datetime,
) -> DocumentRecord:
    """Make sure the document exists (status ``submitted``, no revision yet), as ingress does
    before it starts a run. Registering again is a no-op; another object under the same id is
    refused (``IdempotencyMismatch``)."""
    row = _object_row(
        document_id=document_id,
        instance_id=instance_id,
        database_name=database_name,
        physical_name=physical_name,
        change_type=change_type,
        requested_by=requested_by,
    )

    in_transaction(engine, lambda conn: _registered(conn, row, utc(now)))
    return document_record(engine, row["document_id"])


def start_revision(
    engine: Engine,
    *,
    document_id: str,
    instance_id: str,
    run_id: str,
    database_name: str,
    physical_name: str,
    change_type: str,
    requested_by: str,
    now: datetime,
) -> StartedRevision:
    """The revision the run ``run_id`` works on: the next one when the run is new.

    The first run of a document makes revision 1; a run that starts after the previous one
    ended (a second schema change of the same document) makes the next revision, with its own
    approval, audit events and index version. The same run again returns its revision. A run
    whose predecessor never ended (terminated, or restarted by an operator) supersedes it: the
    old revision ends ``failed`` and its approval links close. Returns the document record with
    the revision before this one.
    """
    row = _object_row(
        document_id=document_id,
        instance_id=instance_id,
        database_name=database_name,
        physical_name=physical_name,
        change_type=change_type,
        requested_by=requested_by,
    )
    run_id = required_text(run_id, "runId", tables.document_revisions.c.run_id)
    now = utc(now)

    def start(conn: Connection) -> int | None:
        d, r = tables.documents, tables.document_revisions
        existing = _registered(conn, row, now)
        if existing is None:
            previous = 0
        else:
            mine = conn.execute(
                sa.select(r.c.revision, r.c.document_id).where(r.c.run_id == run_id)
            ).first()
            if mine is not None:
                if mine.document_id != row["document_id"]:
                    raise IdempotencyMismatch(
                        f"run {run_id} belongs to document {mine.document_id}"
                    )
                return None  # a retry of this run's first step: nothing to start
            previous = existing["revision"]
            if previous:
                _supersede(conn, row["document_id"], previous, now)
        conn.execute(
            sa.insert(r).values(
                document_id=row["document_id"],
                revision=previous + 1,
                run_id=run_id,
                change_type=row["change_type"],
                requested_by=row["requested_by"],
                status="submitted",
                started_at=now,
            )
        )
        conn.execute(
            sa.update(d)
            .where(d.c.document_id == row["document_id"])
            .values(
                revision=previous + 1,
                instance_id=row["instance_id"],
                change_type=row["change_type"],
                requested_by=row["requested_by"],
                status="submitted",
                draft_url=None,
                final_url=None,
                reason=None,
                updated_at=now,
            )
        )
        return previous

    previous = in_transaction(engine, start)
    record = document_record(engine, row["document_id"])
    if previous is None:  # replayed: report what the first attempt reported
        previous = record.revision - 1
    return StartedRevision(**_fields(record), previous_revision=previous or None)


def _supersede(conn: Connection, document_id: str, revision: int, now: datetime) -> None:
    """End a revision whose run stopped without ending it (terminated, restarted)."""
    r, c = tables.document_revisions, tables.approval_cases
    conn.execute(
        sa.update(r)
        .where(r.c.document_id == document_id, r.c.revision == revision, r.c.ended_at.is_(None))
        .values(status="failed", ended_at=now, reason="superseded: its run stopped before it ended")
    )
    conn.execute(
        sa.update(c)
        .where(c.c.document_id == document_id, c.c.revision == revision, c.c.status == "open")
        .values(status="cancelled", ended_at=now)
    )


def current_revision(conn: Connection, document_id: str) -> int:
    """The document's current revision; ``NotFound`` for a document we never saw."""
    d = tables.documents
    found = conn.execute(
        sa.select(d.c.revision).where(d.c.document_id == document_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no document {document_id!r}")
    return int(found)


def _parse_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidInput("changes", f"expected an object with some of {', '.join(_UPDATABLE)}")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _UPDATABLE:
            raise InvalidInput(f"changes.{key}", f"expected one of {', '.join(_UPDATABLE)}")
        if key == "status" and value not in STATUSES:
            raise InvalidInput("changes.status", f"expected one of {', '.join(STATUSES)}")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"changes.{key}", "expected a string or null")
        values[_UPDATABLE[key]] = value
    return values


def apply_changes(
    conn: Connection,
    document_id: str,
    changes: Mapping[str, Any],
    now: datetime,
    *,
    revision: int | None = None,
) -> None:
    """``update_document`` inside the caller's transaction (with the audit event it records).

    With ``revision``, the write applies only while that revision is current: a late retry
    of an earlier run's step cannot touch the revision that followed it (``Conflict``).
    """
    values = _parse_changes(changes)
    d, r = tables.documents, tables.document_revisions
    current = current_revision(conn, document_id)
    if revision is not None and revision != current:
        raise Conflict(
            f"revision {revision} of document {document_id} is no longer current "
            f"(it is at revision {current})"
        )
    conn.execute(
        sa.update(d).where(d.c.document_id == document_id).values(**values, updated_at=utc(now))
    )
    mirrored = {k: v for k, v in values.items() if k in ("status", "reason", "library_url")}
    if mirrored and current:
        conn.execute(
            sa.update(r)
            .where(r.c.document_id == document_id, r.c.revision == current, r.c.ended_at.is_(None))
            .values(**mirrored)
        )


def end_revision(
    conn: Connection,
    document_id: str,
    revision: int,
    status: str,
    reason: str | None,
    now: datetime,
) -> bool:
    """End the revision with its outcome (once: False when it had already ended)."""
    if status not in OUTCOMES:
        raise InvalidInput("status", f"expected one of {', '.join(OUTCOMES)}")
    apply_changes(conn, document_id, {"status": status, "reason": reason}, now, revision=revision)
    r = tables.document_revisions
    ended = conn.execute(
        sa.update(r)
        .where(r.c.document_id == document_id, r.c.revision == revision, r.c.ended_at.is_(None))
        .values(status=status, reason=reason, ended_at=utc(now))
    )
    return bool(ended.rowcount)


def update_document(
    engine: Engine,
    document_id: str,
    changes: Mapping[str, Any],
    now: datetime,
    *,
    revision: int | None = None,
) -> DocumentRecord:
    """Set ``status``, ``draftUrl``, ``finalUrl``, ``libraryUrl`` or ``reason`` (null clears a
    link, e.g. after the draft is deleted). Setting the same values again changes nothing."""
    in_transaction(
        engine, lambda conn: apply_changes(conn, document_id, changes, now, revision=revision)
    )
    return document_record(engine, document_id)


def document_record(engine: Engine, document_id: str) -> DocumentRecord:
    """The document's record; ``NotFound`` for a document we never saw."""
    d = tables.documents
    with engine.connect() as conn:
        row = conn.execute(sa.select(d).where(d.c.document_id == document_id)).mappings().first()
    if row is None:
        raise NotFound(f"no document {document_id!r}")
    return DocumentRecord(
        document_id=row["document_id"],
        instance_id=row["instance_id"],
        database_name=row["database_name"],
        physical_name=row["physical_name"],
        change_type=row["change_type"],
        requested_by=row["requested_by"],
        revision=row["revision"],
        status=row["status"],
        reason=row["reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        links=DocumentLinks(
            draft=row["draft_url"], final=row["final_url"], library=row["library_url"]
        ),
    )


def _fields(record: DocumentRecord) -> dict[str, Any]:
    """A record's fields by name, to build the records that extend it."""
    return {f.name: getattr(record, f.name) for f in fields(DocumentRecord)}


def _revisions(conn: Connection, document_id: str) -> tuple[RevisionSummary, ...]:
    r = tables.document_revisions
    rows = (
        conn.execute(sa.select(r).where(r.c.document_id == document_id).order_by(r.c.revision))
        .mappings()
        .all()
    )
    return tuple(
        RevisionSummary(
            revision=x["revision"],
            change_type=x["change_type"],
            requested_by=x["requested_by"],
            status=x["status"],
            reason=x["reason"],
            library_url=x["library_url"],
            started_at=x["started_at"],
            ended_at=x["ended_at"],
        )
        for x in rows
    )


def waiting_for(
    case: RowMapping,
    requests: Sequence[RowMapping],
    votes: Sequence[Vote],
    pending_roles: Sequence[str],
    now: datetime,
) -> tuple[WaitingRole, ...]:
    """Per pending role, who can still decide it: an unused request of the current round
    (escalation requests, role ``*``, count for every role) whose deadline is ahead."""
    voted = {v.request_id for v in votes}
    live = [
        r
        for r in requests
        if r["request_id"] not in voted
        and now < r["deadline"]
        and r["round"] >= case["escalations"]
    ]
    return tuple(
        WaitingRole(
            role=role,
            deadline=case["deadline"],
            approvers=tuple(
                WaitingApprover(r["approver_name"], r["approver_email"], r["kind"])
                for r in live
                if r["role"] in (role, "*")
            ),
        )
        for role in pending_roles
    )


def document_view(
    engine: Engine, document_id: str, now: datetime, base_url: str = ""
) -> DocumentView:
    """Everything ``GET /api/documents/{id}`` shows: the record, the approval (deadline,
    waiting for whom, votes so far) and the master-index entry of the object."""
    record = document_record(engine, document_id)
    base = base_url.rstrip("/")
    links = replace(
        record.links,
        self_=f"{base}/api/documents/{document_id}",
        events=f"{base}/api/documents/{document_id}/events",
    )
    approval: ApprovalSummary | None = None
    waiting: tuple[WaitingRole, ...] = ()
    votes: Sequence[Vote] = ()
    with engine.connect() as conn:
        revisions = _revisions(conn, document_id)
        try:
            # The current revision's approval (revision 0: no run yet, the newest approval).
            case: RowMapping | None = load_case(conn, document_id, record.revision or None)
        except NotFound:
            case = None
        if case is not None:
            votes = load_votes(conn, document_id, case["revision"])
            requests = load_requests(conn, document_id, case["revision"])
    if case is not None:
        ballot = ballot_of(case, votes)
        approval = ApprovalSummary(
            tier=case["tier"],
            tier_name=case["assessment"].get("tierName"),
            route=case["route"],
            sla_hours=case["assessment"].get("slaHours"),
            score=case["assessment"].get("score"),
            deadline=case["deadline"],
            escalations=case["escalations"],
            status=case["status"],
            decision=ballot.decision,
            required_roles=ballot.required_roles,
            approved_roles=ballot.approved_roles,
            pending_roles=ballot.pending_roles,
        )
        if case["status"] == "open":
            waiting = waiting_for(case, requests, votes, ballot.pending_roles, utc(now))
    master_index: IndexEntry | None = None
    with contextlib.suppress(NotFound):  # not indexed yet: the view says null
        master_index = index_entry(engine, record.database_name, record.physical_name)
    return DocumentView(
        **{**_fields(record), "links": links},
        revisions=revisions,
        approval=approval,
        waiting_for=waiting,
        votes=tuple(votes),
        master_index=master_index,
    )
