"""The ballot: votes on a document's approval and what they add up to.

One vote per approval request (the vote id is derived from the request id, so casting is
idempotent). One approval per role suffices; any rejection rejects; when every required role
has an approval the document is approved. An escalation contact's vote counts for every role
still open when it is cast. Votes are tallied in the order they were recorded, and the first
decision stands: the case row keeps it and casting locks that row, so a vote cannot land on an
approval that has ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services._fields import inline, omit_none
from services._time import iso, utc
from services._transaction import in_transaction
from services.approval import tables
from services.errors import DecisionConflict, Gone, InvalidInput, NotFound
from services.ids import derive_id
from services.records.audit import append_in
from services.text import clean_text

__all__ = [
    "DECISIONS",
    "MAX_COMMENT",
    "ApprovalRecord",
    "Ballot",
    "IgnoredVote",
    "RecordedVote",
    "RoleApproval",
    "RoleRejection",
    "Vote",
    "ballot_of",
    "cast_vote",
    "current_ballot",
    "parse_comment",
    "parse_decision",
    "record_vote",
    "tally",
    "vote_data",
]

DECISIONS = ("approve", "reject")
OPEN = "open"
VOTED = "voted"  # the audit event of a cast vote
DECIDED = ("approved", "rejected")  # case statuses a vote can set
MAX_COMMENT = 4000


def parse_decision(value: object, field: str = "decision") -> str:
    """``approve`` or ``reject`` (case-insensitive); anything else names the field."""
    if isinstance(value, str) and value.strip().lower() in DECISIONS:
        return value.strip().lower()
    raise InvalidInput(field, 'expected "approve" or "reject"')


def parse_comment(value: object, field: str = "comment") -> str:
    """An approver's comment as ``clean_text`` tidies it; at most ``MAX_COMMENT`` characters."""
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise InvalidInput(field, f"expected text of at most {MAX_COMMENT} characters")
    return clean_text(value, field)


@dataclass(frozen=True, slots=True)
class Vote:
    """One recorded decision; ``approver`` is ``{"name", "email", "principalId"}``."""

    vote_id: str
    request_id: str
    document_id: str
    kind: str  # approver | escalation
    roles: tuple[str, ...]
    approver: dict[str, str]
    decision: str
    comment: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class RoleApproval:
    """Who approved, for which roles (written as the approver's keys plus ``roles``)."""

    approver: dict[str, str] = field(metadata=inline())
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoleRejection:
    """Who rejected, for which roles, and why (the approver's keys plus ``roles``,
    ``comment``)."""

    approver: dict[str, str] = field(metadata=inline())
    roles: tuple[str, ...]
    comment: str


@dataclass(frozen=True, slots=True)
class RecordedVote:
    """A vote as the final document's approval record prints it."""

    role: str  # the vote's roles, comma-separated
    approver: str  # the approver's address
    decision: str
    decided_at: datetime
    comment: str


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """The approval record the final document prints (``render_final``'s ``approval``)."""

    status: str  # Approved | Rejected | Timed-out ...
    decided_at: datetime | None
    tier: int
    auto_approved: bool
    votes: tuple[RecordedVote, ...]


@dataclass(frozen=True, slots=True)
class IgnoredVote:
    """A vote the approval no longer took: the reason is the error's code (``Gone``,
    ``DecisionConflict``) and ``detail`` says why."""

    request_id: str
    decision: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Ballot:
    """What the votes add up to: the workflow's choice state reads ``decision``.

    ``ignored_vote`` is set only by ``record_vote`` when the vote it was given was not
    counted; the JSON then has the key ``ignoredVote`` (absent otherwise, as readers test
    for its presence).
    """

    document_id: str
    revision: int
    decision: str  # pending | approved | rejected | timed-out | cancelled
    status: str  # the case's status
    route: str
    tier: int
    deadline: datetime
    required_roles: tuple[str, ...]
    approved_roles: tuple[str, ...]
    pending_roles: tuple[str, ...]
    approved_by: tuple[RoleApproval, ...]
    rejected_by: RoleRejection | None
    votes: tuple[Vote, ...]
    record: ApprovalRecord | None
    ignored_vote: IgnoredVote | None = field(default=None, metadata=omit_none())


def vote_id_for(request_id: str) -> str:
    return derive_id("vote", request_id)


def tally(required_roles: Sequence[str], votes: Sequence[Vote]) -> tuple[str, list[str]]:
    """``(decision, approved roles in policy order)`` from votes in recorded order; the first
    decision stands."""
    approved: set[str] = set()
    decision = "pending"
    for vote in votes:
        if vote.decision == "reject":
            decision = "rejected"
            break
        approved.update(r for r in vote.roles if r in required_roles)
        if approved.issuperset(required_roles):
            decision = "approved"
            break
    return decision, [r for r in required_roles if r in approved]


def load_case(conn: Connection, document_id: str, revision: int | None = None) -> RowMapping:
    """The approval of the document's ``revision`` (None: its latest one)."""
    c = tables.approval_cases
    query = sa.select(c).where(c.c.document_id == document_id)
    query = (
        query.order_by(c.c.revision.desc()).limit(1)
        if revision is None
        else query.where(c.c.revision == revision)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(
            f"no approval for document {document_id!r}"
            + ("" if revision is None else f" revision {revision}")
        )
    return row


def lock_case(conn: Connection, document_id: str, revision: int) -> RowMapping:
    """Read the case for a change: writes to one approval are serialised from here to commit.

    A no-op UPDATE is the portable row lock (SQLite takes its write lock, SQL Server an
    exclusive row lock), so what is read after it stays true until this transaction commits.
    """
    c = tables.approval_cases
    locked = conn.execute(
        sa.update(c)
        .where(c.c.document_id == document_id, c.c.revision == revision)
        .values(escalations=c.c.escalations)
    )
    if locked.rowcount == 0:
        raise NotFound(f"no approval for document {document_id!r} revision {revision}")
    return load_case(conn, document_id, revision)


def load_requests(
    conn: Connection, document_id: str, revision: int, round_: int | None = None
) -> Sequence[RowMapping]:
    """The approval requests of a revision (of one escalation ``round_``), in the order they
    were asked: round, then role order."""
    r = tables.approval_requests
    query = sa.select(r).where(r.c.document_id == document_id, r.c.revision == revision)
    if round_ is not None:
        query = query.where(r.c.round == round_)
    return conn.execute(query.order_by(r.c.round, r.c.position)).mappings().all()


def load_votes(conn: Connection, document_id: str, revision: int) -> list[Vote]:
    v, r = tables.votes, tables.approval_requests
    rows = (
        conn.execute(
            sa.select(v, r.c.kind, r.c.approver_email, r.c.approver_name, r.c.principal_id)
            .join(r, r.c.request_id == v.c.request_id)
            .where(v.c.document_id == document_id, v.c.revision == revision)
            .order_by(v.c.seq)
        )
        .mappings()
        .all()
    )
    return [_vote(row) for row in rows]


def _vote(row: RowMapping) -> Vote:
    return Vote(
        vote_id=row["vote_id"],
        request_id=row["request_id"],
        document_id=row["document_id"],
        kind=row["kind"],
        roles=tuple(row["roles"]),
        approver={
            "name": row["approver_name"],
            "email": row["approver_email"],
            "principalId": row["principal_id"],
        },
        decision=row["decision"],
        comment=row["comment"],
        decided_at=row["decided_at"],
    )


def ballot_of(case: RowMapping, votes: Sequence[Vote]) -> Ballot:
    """The ballot the workflow's choice state reads: decision plus who approved what."""
    required = tuple(case["required_roles"])
    decision, approved = tally(required, votes)
    if case["status"] in DECIDED:
        decision = case["status"]  # the case row holds the outcome (also for route "auto")
    rejection = next((v for v in votes if v.decision == "reject"), None)
    return Ballot(
        document_id=case["document_id"],
        revision=case["revision"],
        decision=decision,
        status=case["status"],
        route=case["route"],
        tier=case["tier"],
        deadline=case["deadline"],
        required_roles=required,
        approved_roles=tuple(approved),
        pending_roles=tuple(r for r in required if r not in approved),
        approved_by=tuple(
            RoleApproval(v.approver, v.roles) for v in votes if v.decision == "approve"
        ),
        rejected_by=None
        if rejection is None
        else RoleRejection(rejection.approver, rejection.roles, rejection.comment),
        votes=tuple(votes),
        record=None if decision == "pending" else _approval_record(case, decision, votes),
    )


def _approval_record(case: RowMapping, decision: str, votes: Sequence[Vote]) -> ApprovalRecord:
    return ApprovalRecord(
        status=decision.capitalize(),
        decided_at=case["ended_at"],
        tier=case["tier"],
        auto_approved=case["route"] == "auto",
        votes=tuple(
            RecordedVote(
                role=", ".join(v.roles),
                approver=v.approver["email"],
                decision=v.decision,
                decided_at=v.decided_at,
                comment=v.comment,
            )
            for v in votes
        ),
    )


def vote_data(vote: Vote) -> dict[str, Any]:
    """The vote as the ``voted`` audit event stores it: the same JSON ``wire.to_json`` writes
    for a ``Vote`` (the API raises that as the workflow's ``approval`` event). Written here by
    hand because the audit trail is a service's storage and services may not import ``wire``;
    a test holds the two equal."""
    return {
        "voteId": vote.vote_id,
        "requestId": vote.request_id,
        "documentId": vote.document_id,
        "kind": vote.kind,
        "roles": list(vote.roles),
        "approver": vote.approver,
        "decision": vote.decision,
        "comment": vote.comment,
        "decidedAt": iso(vote.decided_at),
    }


def current_ballot(engine: Engine, document_id: str, revision: int | None = None) -> Ballot:
    """The ballot of a document's ``revision`` (None: the latest), read only."""
    with engine.connect() as conn:
        case = load_case(conn, document_id, revision)
        return ballot_of(case, load_votes(conn, document_id, case["revision"]))


def cast_vote(
    engine: Engine, request_id: str, decision: str, comment: str, now: datetime
) -> tuple[Vote, bool]:
    """Record the decision on one request and its ``voted`` audit event: ``(vote, replayed)``.

    The same decision again returns the recorded vote (``replayed``); a different one raises
    ``DecisionConflict``; after the deadline or the end of the approval, ``Gone``.
    """
    decision, comment, now = parse_decision(decision), parse_comment(comment), utc(now)
    # A concurrent decision on the same request collides on its key; the next pass sees it
    # and replays or conflicts.
    return in_transaction(engine, lambda conn: _cast(conn, request_id, decision, comment, now))


def _cast(
    conn: Connection, request_id: str, decision: str, comment: str, now: datetime
) -> tuple[Vote, bool]:
    r = tables.approval_requests
    request = conn.execute(sa.select(r).where(r.c.request_id == request_id)).mappings().first()
    if request is None:
        raise NotFound(f"no approval request {request_id!r}")
    document_id, revision = request["document_id"], request["revision"]
    case = lock_case(conn, document_id, revision)
    votes = load_votes(conn, document_id, revision)
    existing = next((v for v in votes if v.request_id == request_id), None)
    if existing is not None:
        if existing.decision == decision:
            return existing, True
        raise DecisionConflict(
            f"this request was already decided: {existing.decision} at {iso(existing.decided_at)}"
        )
    if case["status"] != OPEN:
        raise Gone(f"the approval of document {document_id} has ended: {case['status']}")
    if now >= request["deadline"]:
        raise Gone(f"the deadline for this request passed at {iso(request['deadline'])}")
    if request["round"] < case["escalations"]:
        # Escalation hands the open roles to the escalation contacts; checked by state as well
        # as by time so it holds whatever clock the caller has.
        raise Gone("the deadline for this request passed and it was escalated")
    required = list(case["required_roles"])
    _, approved = tally(required, votes)
    roles = (
        [r for r in required if r not in approved]
        if request["kind"] == "escalation"
        else [request["role"]]
    )
    conn.execute(
        sa.insert(tables.votes).values(
            vote_id=vote_id_for(request_id),
            request_id=request_id,
            document_id=document_id,
            revision=revision,
            roles=roles,
            decision=decision,
            comment=comment,
            decided_at=now,
        )
    )
    votes = load_votes(conn, document_id, revision)
    outcome, approved = tally(required, votes)
    if outcome != "pending":
        c = tables.approval_cases
        conn.execute(
            sa.update(c)
            .where(c.c.document_id == document_id, c.c.revision == revision)
            .values(status=outcome, ended_at=now)
        )
    vote = next(v for v in votes if v.request_id == request_id)
    # The vote and its audit event commit together: however many approvers decide at once,
    # each vote has exactly one ``voted`` event, carrying the tally right after it.
    append_in(
        conn,
        document_id,
        event_id=derive_id(document_id, VOTED, request_id),
        event_type=VOTED,
        data={
            "vote": vote_data(vote),
            "decision": outcome,
            "pendingRoles": [r for r in required if r not in approved],
            "revision": revision,
        },
        now=now,
    )
    return vote, False


def record_vote(
    engine: Engine,
    document_id: str,
    vote: Mapping[str, Any],
    now: datetime,
    *,
    revision: int | None = None,
) -> Ballot:
    """The workflow's step after an ``approval`` event: make sure the vote is counted, return
    the ballot of the vote's revision.

    ``vote`` is the event payload: the vote JSON from the API (already cast: nothing is
    written) or ``{"requestId", "decision", "comment"?}`` from a script (cast now). A vote the
    approval no longer accepts does not fail the workflow: the ballot reports it under
    ``ignored_vote`` with the reason, and the decision is unchanged. A vote for another
    revision of the document (a link from an earlier round) is ignored the same way.
    """
    if not isinstance(vote, Mapping):
        raise InvalidInput("vote", "expected the approval event's JSON object")
    request_id = vote.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise InvalidInput("vote.requestId", "expected the id of an approval request")
    decision = parse_decision(vote.get("decision"), "vote.decision")
    comment = parse_comment(vote.get("comment", ""), "vote.comment")
    r = tables.approval_requests
    with engine.connect() as conn:
        owner = conn.execute(
            sa.select(r.c.document_id, r.c.revision).where(r.c.request_id == request_id)
        ).first()
    if owner is None or owner.document_id != document_id:
        raise InvalidInput("vote.requestId", f"expected a request of document {document_id}")
    ignored: IgnoredVote | None = None
    if revision is not None and owner.revision != revision:
        ignored = IgnoredVote(
            request_id,
            decision,
            "Gone",
            f"the request belongs to revision {owner.revision}, not {revision}",
        )
    else:
        try:
            cast_vote(engine, request_id, decision, comment, now)
        except (Gone, DecisionConflict) as exc:
            ignored = IgnoredVote(request_id, decision, exc.code, exc.detail)
    ballot = current_ballot(engine, document_id, revision or owner.revision)
    return ballot if ignored is None else replace(ballot, ignored_vote=ignored)
