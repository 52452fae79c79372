"""The approvals still waiting for decisions, across documents: what the dashboard lists.

One entry per open approval (one document revision): the object, who asked, the tier, the
roles still open and who can still decide each, the deadline and how long is left. Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services._time import utc
from services.approval import tables
from services.approval.ballot import OPEN, ballot_of, load_requests, load_votes
from services.approval.documents import WaitingRole, waiting_for

__all__ = ["PendingApproval", "PendingApprovals", "pending_approvals"]


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """One open approval: the object (None when the approval has no document record), the
    roles still open and who can decide them, and the time left."""

    document_id: str
    revision: int
    instance_id: str
    database_name: str | None
    physical_name: str | None
    change_type: str | None
    requested_by: str | None
    tier: int
    tier_name: object  # from the stored assessment; None when it had none
    route: str
    required_roles: tuple[str, ...]
    approved_roles: tuple[str, ...]
    pending_roles: tuple[str, ...]
    waiting_for: tuple[WaitingRole, ...]
    deadline: datetime
    seconds_left: int
    overdue: bool
    escalations: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class PendingApprovals:
    """A page of open approvals, nearest deadline first, and how many there are in all."""

    items: tuple[PendingApproval, ...]
    total: int
    limit: int
    offset: int


def pending_approvals(
    engine: Engine, now: datetime, *, limit: int = 50, offset: int = 0
) -> PendingApprovals:
    """Open approvals, nearest deadline first: ``limit`` of them from ``offset``."""
    now = utc(now)
    c, d = tables.approval_cases, tables.documents
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(c).where(c.c.status == OPEN)
        ).scalar_one()
        rows = (
            conn.execute(
                sa.select(
                    c, d.c.database_name, d.c.physical_name, d.c.change_type, d.c.requested_by
                )
                .outerjoin(d, d.c.document_id == c.c.document_id)
                .where(c.c.status == OPEN)
                .order_by(c.c.deadline, c.c.document_id, c.c.revision)
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        items: list[PendingApproval] = []
        for case in rows:
            votes = load_votes(conn, case["document_id"], case["revision"])
            requests = load_requests(conn, case["document_id"], case["revision"])
            ballot = ballot_of(case, votes)
            seconds_left = (case["deadline"] - now).total_seconds()
            items.append(
                PendingApproval(
                    document_id=case["document_id"],
                    revision=case["revision"],
                    instance_id=case["instance_id"],
                    database_name=case["database_name"],
                    physical_name=case["physical_name"],
                    change_type=case["change_type"],
                    requested_by=case["requested_by"],
                    tier=case["tier"],
                    tier_name=case["assessment"].get("tierName"),
                    route=case["route"],
                    required_roles=ballot.required_roles,
                    approved_roles=ballot.approved_roles,
                    pending_roles=ballot.pending_roles,
                    waiting_for=waiting_for(case, requests, votes, ballot.pending_roles, now),
                    deadline=case["deadline"],
                    seconds_left=max(0, int(seconds_left)),
                    overdue=seconds_left <= 0,
                    escalations=case["escalations"],
                    opened_at=case["opened_at"],
                )
            )
    return PendingApprovals(tuple(items), total, limit, offset)
