"""The approvals still waiting for decisions, across documents: what the dashboard lists.

One entry per open approval (one document revision): the object, who asked, the tier, the
roles still open and who can still decide each, the deadline and how long is left. Read only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services._time import iso, utc
from services.approval import tables
from services.approval.ballot import OPEN, ballot_json, load_votes
from services.approval.documents import waiting_for

__all__ = ["pending_approvals"]


def pending_approvals(
    engine: Engine, now: datetime, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """``{"items", "total", "limit", "offset"}``: open approvals, nearest deadline first."""
    now = utc(now)
    c, d, r = tables.approval_cases, tables.documents, tables.approval_requests
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
        items = []
        for case in rows:
            votes = load_votes(conn, case["document_id"], case["revision"])
            requests = (
                conn.execute(
                    sa.select(r)
                    .where(r.c.document_id == case["document_id"], r.c.revision == case["revision"])
                    .order_by(r.c.round, r.c.position)
                )
                .mappings()
                .all()
            )
            ballot = ballot_json(case, votes)
            seconds_left = (case["deadline"] - now).total_seconds()
            items.append(
                {
                    "documentId": case["document_id"],
                    "revision": case["revision"],
                    "instanceId": case["instance_id"],
                    "databaseName": case["database_name"],
                    "physicalName": case["physical_name"],
                    "changeType": case["change_type"],
                    "requestedBy": case["requested_by"],
                    "tier": case["tier"],
                    "tierName": case["assessment"].get("tierName"),
                    "route": case["route"],
                    "requiredRoles": ballot["requiredRoles"],
                    "approvedRoles": ballot["approvedRoles"],
                    "pendingRoles": ballot["pendingRoles"],
                    "waitingFor": waiting_for(case, requests, votes, ballot["pendingRoles"], now),
                    "deadline": iso(case["deadline"]),
                    "secondsLeft": max(0, int(seconds_left)),
                    "overdue": seconds_left <= 0,
                    "escalations": case["escalations"],
                    "openedAt": iso(case["opened_at"]),
                }
            )
    return {"items": items, "total": total, "limit": limit, "offset": offset}
