"""Approval requests: who is asked, until when, and what their signed links may do.

``open_approval`` fixes the deadline at notification time and creates one request per
(document, role, approver). ``handle_deadline`` runs when the deadline passes: it escalates
(extends the deadline and asks the escalation contacts, who may decide for every open role)
while the policy allows, and otherwise ends the approval as timed out. ``inspect_token`` serves
the confirmation page without changing anything; ``redeem_token`` records the decision.
All writes are keyed by the document id, so a retried activity changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services._fields import omit_none
from services._input import required_text
from services._time import iso, utc
from services._transaction import in_transaction
from services.approval import tables
from services.approval.ballot import (
    OPEN,
    Ballot,
    Vote,
    ballot_of,
    cast_vote,
    load_case,
    load_requests,
    load_votes,
    lock_case,
)
from services.approval.documents import DocumentRecord, document_record
from services.approval.policy import ApprovalPolicy, load_policy
from services.approval.tokens import SigningKeys, TokenClaims, sign_token, verify_token
from services.errors import Forbidden, IdempotencyMismatch, InvalidInput, NotFound, TokenInvalid
from services.ids import derive_id

__all__ = [
    "ApprovalRequest",
    "DeadlineOutcome",
    "OpenedApproval",
    "Principal",
    "Redemption",
    "TokenView",
    "close_approval",
    "close_in",
    "count_open",
    "handle_deadline",
    "inspect_token",
    "open_approval",
    "redeem_token",
]

ALL_OPEN_ROLES = "*"


@dataclass(frozen=True)
class Principal:
    """The signed-in caller as App Service authentication reports it (object id and name).

    Pass one only when ``TRUST_EASY_AUTH`` is on; an empty ``Principal()`` (nobody signed in)
    matches no approver. Without one, the signed link alone is the credential.
    """

    id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Redemption:
    """A decision taken through a link. ``replayed``: the same decision was already recorded
    (answer 200 with the recorded vote; raising the event again is harmless, recording it is
    idempotent). ``instance_id`` is the workflow instance that waits for the vote."""

    vote: Vote
    ballot: Ballot
    replayed: bool
    instance_id: str


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One person asked to decide one role (``*``: an escalation contact, every open role).

    ``approver`` is ``{"name", "email", "principalId"}``. ``token`` is the signed link's
    credential: set only where mail is sent from it (absent from the JSON otherwise), never
    stored.
    """

    request_id: str
    document_id: str
    revision: int
    kind: str  # approver | escalation
    role: str
    round: int
    approver: dict[str, str]
    deadline: datetime
    token: str | None = field(default=None, metadata=omit_none())


@dataclass(frozen=True, slots=True)
class OpenedApproval:
    """``open_approval``'s result: the deadline, the requests with their tokens, the ballot."""

    document_id: str
    revision: int
    deadline: datetime
    route: str  # auto | single | all
    tier: int
    requests: tuple[ApprovalRequest, ...]
    ballot: Ballot


@dataclass(frozen=True, slots=True)
class DeadlineOutcome:
    """``handle_deadline``'s result: ``outcome`` is ``escalated`` (``requests`` holds the
    escalation round's, with tokens), ``timedOut``, ``decided`` or ``cancelled``."""

    document_id: str
    round: int
    requests: tuple[ApprovalRequest, ...]
    outcome: str
    deadline: datetime
    ballot: Ballot


@dataclass(frozen=True, slots=True)
class TokenView:
    """What an approval link's confirmation page shows (``inspect_token``).

    ``assessment`` is the assessment JSON the approval was opened with, as stored.
    """

    state: str  # open | decided | expired | ended
    document: DocumentRecord | None
    request: ApprovalRequest
    vote: Vote | None
    assessment: dict[str, Any]
    ballot: Ballot


def _request(row: RowMapping, keys: SigningKeys | None) -> ApprovalRequest:
    # Tokens are derived, never stored: the database holds nothing that opens a vote.
    token = (
        None
        if keys is None
        else sign_token(
            keys,
            TokenClaims(
                row["request_id"],
                row["approver_email"],
                row["role"],
                row["document_id"],
                row["deadline"],
            ),
        )
    )
    return ApprovalRequest(
        request_id=row["request_id"],
        document_id=row["document_id"],
        revision=row["revision"],
        kind=row["kind"],
        role=row["role"],
        round=row["round"],
        approver={
            "name": row["approver_name"],
            "email": row["approver_email"],
            "principalId": row["principal_id"],
        },
        deadline=row["deadline"],
        token=token,
    )


def _request_rows(
    document_id: str,
    revision: int,
    *,
    kind: str,
    round_: int,
    role: str,
    people: Sequence[Mapping[str, Any]],
    field: str,
    deadline: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    r = tables.approval_requests
    for i, person in enumerate(people):
        name, email, principal_id = (
            required_text(person.get(key), f"{field}[{i}].{key}", column)
            for key, column in (
                ("name", r.c.approver_name),
                ("email", r.c.approver_email),
                ("principalId", r.c.principal_id),
            )
        )
        if email.lower() in seen:
            raise InvalidInput(f"{field}[{i}].email", f"{email} is listed twice")
        seen.add(email.lower())
        rows.append(
            {
                "request_id": derive_id(
                    "approval-request", document_id, revision, round_, role, email.lower()
                ),
                "document_id": document_id,
                "revision": revision,
                "role": role,
                "kind": kind,
                "round": round_,
                "approver_email": email,
                "approver_name": name,
                "principal_id": principal_id,
                "deadline": deadline,
                "created_at": now,
                "position": i,
            }
        )
    return rows


def open_approval(
    engine: Engine,
    keys: SigningKeys,
    *,
    document_id: str,
    instance_id: str,
    assessment: Mapping[str, Any],
    now: datetime,
    revision: int = 1,
) -> OpenedApproval:
    """Create the approval of a document from its assessment and fix its deadline.

    The result's requests carry their tokens. Route ``auto`` asks nobody and is approved at
    once. Repeating the call returns the first result (same deadline, same tokens); a different
    assessment is refused.
    """
    now = utc(now)
    c = tables.approval_cases
    document_id = required_text(document_id, "documentId", c.c.document_id)
    instance_id = required_text(instance_id, "instanceId", c.c.instance_id)
    route, tier, sla_hours, required, approvers = _parse_assessment(assessment)
    deadline = (now + timedelta(hours=sla_hours)).replace(microsecond=0)
    rows = [
        row
        for entry_index, entry in enumerate(approvers)
        for row in _request_rows(
            document_id,
            revision,
            kind="approver",
            round_=0,
            role=entry["role"],
            people=entry["members"],
            field=f"assessment.approvers[{entry_index}].members",
            deadline=deadline,
            now=now,
        )
    ]
    for position, row in enumerate(rows):
        row["position"] = position
    case = {
        "document_id": document_id,
        "revision": revision,
        "instance_id": instance_id,
        "tier": tier,
        "route": route,
        "required_roles": required,
        "assessment": dict(assessment),
        "deadline": deadline,
        "escalations": 0,
        "status": "approved" if route == "auto" else OPEN,
        "opened_at": now,
        "ended_at": now if route == "auto" else None,
    }

    def open_case(conn: Connection) -> None:
        if _existing_case(conn, document_id, revision) is None:
            conn.execute(sa.insert(tables.approval_cases).values(**case))
            if rows:
                conn.execute(sa.insert(tables.approval_requests), rows)

    # A concurrent retry of the same step that opens it first makes this pass read it.
    in_transaction(engine, open_case)
    with engine.connect() as conn:
        stored = load_case(conn, document_id, revision)
        if (stored["route"], stored["required_roles"], stored["instance_id"]) != (
            route,
            required,
            instance_id,
        ):
            raise IdempotencyMismatch(
                f"document {document_id} already has an approval with route "
                f"{stored['route']!r} and roles {stored['required_roles']}"
            )
        return OpenedApproval(
            document_id=document_id,
            revision=revision,
            deadline=stored["deadline"],
            route=stored["route"],
            tier=stored["tier"],
            requests=tuple(
                _request(r, keys) for r in load_requests(conn, document_id, revision, 0)
            ),
            ballot=ballot_of(stored, load_votes(conn, document_id, revision)),
        )


def _existing_case(conn: Connection, document_id: str, revision: int) -> Any:
    c = tables.approval_cases
    return conn.execute(
        sa.select(c.c.document_id).where(c.c.document_id == document_id, c.c.revision == revision)
    ).scalar_one_or_none()


def _parse_assessment(
    assessment: Mapping[str, Any],
) -> tuple[str, int, int, list[str], list[Mapping[str, Any]]]:
    if not isinstance(assessment, Mapping):
        raise InvalidInput("assessment", "expected the assessment JSON object")
    route = assessment.get("route")
    if route not in ("auto", "single", "all"):
        raise InvalidInput("assessment.route", 'expected "auto", "single" or "all"')
    tier, sla = assessment.get("tier"), assessment.get("slaHours")
    if not isinstance(tier, int) or isinstance(tier, bool) or tier < 1:
        raise InvalidInput("assessment.tier", "expected an integer >= 1")
    if not isinstance(sla, int) or isinstance(sla, bool) or sla < 1:
        raise InvalidInput("assessment.slaHours", "expected an integer >= 1")
    required = assessment.get("requiredRoles")
    if not isinstance(required, list):
        raise InvalidInput("assessment.requiredRoles", "expected a list of role names")
    for i, role in enumerate(required):
        if (
            required_text(role, f"assessment.requiredRoles[{i}]", tables.approval_requests.c.role)
            != role
        ):
            raise InvalidInput(f"assessment.requiredRoles[{i}]", "expected no outer spaces")
    approvers = assessment.get("approvers")
    if not isinstance(approvers, list) or not all(
        isinstance(a, Mapping) and isinstance(a.get("members"), list) for a in approvers
    ):
        raise InvalidInput("assessment.approvers", 'expected [{"role", "members": [...]}]')
    if [a.get("role") for a in approvers] != required:
        raise InvalidInput(
            "assessment.approvers",
            "expected one entry per required role, in the order of requiredRoles",
        )
    if route == "auto" and required:
        raise InvalidInput("assessment.requiredRoles", 'expected none for route "auto"')
    if route != "auto" and (not required or not all(a["members"] for a in approvers)):
        raise InvalidInput("assessment.approvers", "expected at least one member per role")
    return route, tier, sla, list(required), list(approvers)


def handle_deadline(
    engine: Engine,
    keys: SigningKeys,
    *,
    document_id: str,
    deadline: datetime,
    now: datetime,
    policy: ApprovalPolicy | None = None,
    revision: int = 1,
) -> DeadlineOutcome:
    """What happens when the wait for votes times out at ``deadline``.

    ``outcome`` is ``"escalated"`` (deadline extended by the policy's extension hours, a
    request with a token for each escalation contact, valid for all open roles),
    ``"timedOut"`` (no escalation left: the approval ends, late links answer 410),
    ``"decided"`` (a vote ended it first; the ballot says how) or ``"cancelled"``.
    ``deadline`` is the one the caller waited for, which makes a retry return the first result
    instead of escalating twice. ``policy`` defaults to the one in the policy tables.
    """
    now, deadline = utc(now), utc(deadline, "deadline")
    policy = policy or load_policy(engine)
    # A concurrent retry that escalates first makes the next pass replay its round.
    return in_transaction(
        engine,
        lambda conn: _handle_deadline(
            conn,
            keys,
            policy,
            document_id=document_id,
            revision=revision,
            deadline=deadline,
            now=now,
        ),
    )


def _handle_deadline(
    conn: Connection,
    keys: SigningKeys,
    policy: ApprovalPolicy,
    *,
    document_id: str,
    revision: int,
    deadline: datetime,
    now: datetime,
) -> DeadlineOutcome:
    case = lock_case(conn, document_id, revision)
    round_ = case["escalations"]
    requests: tuple[ApprovalRequest, ...] = ()
    c = tables.approval_cases
    if case["deadline"] > deadline and case["escalations"] > 0:
        outcome = "escalated"  # this deadline was already escalated: replay that round
        requests = tuple(
            _request(r, keys) for r in load_requests(conn, document_id, revision, round_)
        )
    elif case["status"] != OPEN:
        outcome = {"timed-out": "timedOut", "cancelled": "cancelled"}.get(case["status"], "decided")
    elif now < case["deadline"]:
        raise InvalidInput("now", f"the deadline {iso(case['deadline'])} has not passed yet")
    elif case["deadline"] != deadline:
        raise InvalidInput("deadline", f"expected the approval's deadline {iso(case['deadline'])}")
    elif case["escalations"] < policy.max_escalations:
        outcome = "escalated"
        round_ = case["escalations"] + 1
        extended = deadline + timedelta(hours=policy.extension_hours)
        rows = _request_rows(
            document_id,
            revision,
            kind="escalation",
            round_=round_,
            role=ALL_OPEN_ROLES,
            people=[
                {"name": p.name, "email": p.email, "principalId": p.principal_id}
                for p in policy.escalation_contacts
            ],
            field="policy.escalation.contacts",
            deadline=extended,
            now=now,
        )
        mine = (c.c.document_id == document_id, c.c.revision == revision)
        conn.execute(sa.update(c).where(*mine).values(deadline=extended, escalations=round_))
        conn.execute(sa.insert(tables.approval_requests), rows)
        requests = tuple(
            _request(r, keys) for r in load_requests(conn, document_id, revision, round_)
        )
    else:
        outcome = "timedOut"
        conn.execute(
            sa.update(c)
            .where(c.c.document_id == document_id, c.c.revision == revision)
            .values(status="timed-out", ended_at=now)
        )
    case = load_case(conn, document_id, revision)
    return DeadlineOutcome(
        document_id=document_id,
        round=round_,
        requests=requests,
        outcome=outcome,
        deadline=case["deadline"],
        ballot=ballot_of(case, load_votes(conn, document_id, revision)),
    )


def count_open(engine: Engine) -> int:
    """How many approvals are open and waiting for decisions (the ``approvals.pending`` gauge)."""
    c = tables.approval_cases
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(c).where(c.c.status == "open")
            ).scalar_one()
        )


def close_approval(
    engine: Engine, document_id: str, status: str, now: datetime, *, revision: int | None = None
) -> Ballot | None:
    """End an open approval (``cancelled`` on failure or compensation, ``timed-out``);
    afterwards its links answer 410. An approval that already ended keeps its outcome.

    Returns the ballot, or None when the revision never opened an approval (it failed
    before asking anyone): a failure path must not fail for want of an approval.
    """
    if status not in ("cancelled", "timed-out"):
        raise InvalidInput("status", 'expected "cancelled" or "timed-out"')
    return in_transaction(
        engine, lambda conn: close_in(conn, document_id, status, now, revision=revision)
    )


def close_in(
    conn: Connection, document_id: str, status: str, now: datetime, *, revision: int | None = None
) -> Ballot | None:
    """``close_approval`` inside the caller's transaction."""
    c = tables.approval_cases
    try:
        case = load_case(conn, document_id, revision)
    except NotFound:
        return None
    mine = (c.c.document_id == document_id, c.c.revision == case["revision"])
    conn.execute(
        sa.update(c).where(*mine, c.c.status == OPEN).values(status=status, ended_at=utc(now))
    )
    case = load_case(conn, document_id, case["revision"])
    return ballot_of(case, load_votes(conn, document_id, case["revision"]))


def _authorise(
    engine: Engine, keys: SigningKeys, token: str, principal: Principal | None
) -> RowMapping:
    """The request a genuine token names, checked against the signed-in principal."""
    claims = verify_token(keys, token)
    r = tables.approval_requests
    with engine.connect() as conn:
        request = (
            conn.execute(sa.select(r).where(r.c.request_id == claims.request_id)).mappings().first()
        )
    if request is None or (request["approver_email"], request["role"], request["document_id"]) != (
        claims.approver,
        claims.role,
        claims.document_id,
    ):
        raise TokenInvalid("the approval link names no request of ours")
    if principal is not None and not _same_person(principal, request):
        # Whose link it is stays unsaid: the caller is, by definition, not that person.
        raise Forbidden(
            f"this approval link was sent to another approver; you are signed in "
            f"as {principal.name or principal.id or 'nobody'}"
        )
    return request


def _same_person(principal: Principal, request: RowMapping) -> bool:
    mine = {request["principal_id"].lower(), request["approver_email"].lower()}
    theirs = {p.lower() for p in (principal.id, principal.name) if p}
    return bool(mine & theirs)


def inspect_token(
    engine: Engine,
    keys: SigningKeys,
    token: str,
    *,
    now: datetime,
    principal: Principal | None = None,
) -> TokenView:
    """What the confirmation page shows; never changes anything (mail scanners follow links).

    ``state``: ``open`` (a decision can be taken), ``decided`` (this link's vote is in
    ``vote``), ``expired`` (deadline passed) or ``ended`` (the approval is over).
    Raises ``TokenInvalid`` (400) and ``Forbidden`` (403) like the decision would.
    """
    request = _authorise(engine, keys, token, principal)
    document_id = request["document_id"]
    with engine.connect() as conn:
        case = load_case(conn, document_id, request["revision"])
        votes = load_votes(conn, document_id, request["revision"])
    vote = next((v for v in votes if v.request_id == request["request_id"]), None)
    if vote is not None:
        state = "decided"
    elif case["status"] != OPEN:
        state = "ended"
    elif utc(now) >= request["deadline"] or request["round"] < case["escalations"]:
        state = "expired"
    else:
        state = "open"
    try:
        document: DocumentRecord | None = document_record(engine, document_id)
    except NotFound:
        document = None  # approvals opened without a document record (tests, scripts)
    return TokenView(
        state=state,
        document=document,
        request=_request(request, None),
        vote=vote,
        assessment=case["assessment"],
        ballot=ballot_of(case, votes),
    )


def redeem_token(
    engine: Engine,
    keys: SigningKeys,
    token: str,
    *,
    decision: str,
    comment: str = "",
    now: datetime,
    principal: Principal | None = None,
) -> Redemption:
    """Take the decision a link's owner posted.

    Order of checks: token genuine (else ``TokenInvalid`` 400), principal is its approver
    (else ``Forbidden`` 403), already decided (same decision: ``replayed``; different:
    ``DecisionConflict`` 409), approval ended or deadline passed (``Gone`` 410).
    """
    request = _authorise(engine, keys, token, principal)
    vote, replayed = cast_vote(engine, request["request_id"], decision, comment, now)
    with engine.connect() as conn:
        case = load_case(conn, request["document_id"], request["revision"])
        ballot = ballot_of(case, load_votes(conn, request["document_id"], case["revision"]))
    return Redemption(vote, ballot, replayed, case["instance_id"])
