"""Document records: where each document stands, for ``GET /api/documents/{id}``.

The ``documents`` table holds what the workflow reports (status, links, reason); the view
joins it with the approval (who is still asked, the deadline, votes so far) and the object's
master-index entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services import db
from services._input import required_text
from services._time import iso, utc
from services.ballot import Vote, ballot_json, load_votes
from services.errors import IdempotencyMismatch, InvalidInput, NotFound
from services.master_index import index_entry

__all__ = [
    "STATUSES", "document_record", "document_view", "register_document", "update_document",
]

STATUSES = ("submitted", "drafted", "awaiting-approval", "escalated", "approved", "rejected",
            "timed-out", "filed", "indexed", "completed", "failed", "compensated")
CHANGE_TYPES = ("Created", "Altered", "Dropped")
# JSON field -> column of the fields a workflow step may set.
_UPDATABLE = {"status": "status", "draftUrl": "draft_url", "finalUrl": "final_url",
              "libraryUrl": "library_url", "reason": "reason"}


def register_document(engine: Engine, *, document_id: str, instance_id: str,
                      database_name: str, physical_name: str, change_type: str,
                      requested_by: str, now: datetime) -> dict[str, Any]:
    """Record a submitted document (status ``submitted``); the same submission again is a
    no-op, a different one under the same id is refused."""
    if change_type not in CHANGE_TYPES:
        raise InvalidInput("changeType", f"expected one of {', '.join(CHANGE_TYPES)}")
    d = db.documents
    row = {"document_id": required_text(document_id, "documentId", d.c.document_id),
           "instance_id": required_text(instance_id, "instanceId", d.c.instance_id),
           "database_name": required_text(database_name, "databaseName", d.c.database_name),
           "physical_name": required_text(physical_name, "physicalName", d.c.physical_name),
           "change_type": change_type,
           "requested_by": required_text(requested_by, "requestedBy", d.c.requested_by)}
    try:
        with engine.begin() as conn:
            existing = conn.execute(sa.select(d).where(d.c.document_id == row["document_id"])
                                    ).mappings().first()
            if existing is None:
                conn.execute(sa.insert(d).values(**row, status="submitted", created_at=utc(now),
                                                 updated_at=utc(now)))
            elif any(existing[k] != v for k, v in row.items()):
                raise IdempotencyMismatch(
                    f"document {row['document_id']} was submitted with other details")
    except IntegrityError:
        pass  # registered concurrently by a retry of the same step
    return document_record(engine, row["document_id"])


def update_document(engine: Engine, document_id: str, changes: Mapping[str, Any],
                    now: datetime) -> dict[str, Any]:
    """Set ``status``, ``draftUrl``, ``finalUrl``, ``libraryUrl`` or ``reason`` (null clears a
    link, e.g. after the draft is deleted). Setting the same values again changes nothing."""
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidInput("changes", f"expected an object with some of {', '.join(_UPDATABLE)}")
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in _UPDATABLE:
            raise InvalidInput(f"changes.{field}", f"expected one of {', '.join(_UPDATABLE)}")
        if field == "status" and value not in STATUSES:
            raise InvalidInput("changes.status", f"expected one of {', '.join(STATUSES)}")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"changes.{field}", "expected a string or null")
        values[_UPDATABLE[field]] = value
    d = db.documents
    with engine.begin() as conn:
        done = conn.execute(sa.update(d).where(d.c.document_id == document_id)
                            .values(**values, updated_at=utc(now)))
        if done.rowcount == 0:
            raise NotFound(f"no document {document_id!r}")
    return document_record(engine, document_id)


def document_record(engine: Engine, document_id: str) -> dict[str, Any]:
    d = db.documents
    with engine.connect() as conn:
        row = conn.execute(sa.select(d).where(d.c.document_id == document_id)).mappings().first()
    if row is None:
        raise NotFound(f"no document {document_id!r}")
    return {
        "documentId": row["document_id"], "instanceId": row["instance_id"],
        "databaseName": row["database_name"], "physicalName": row["physical_name"],
        "changeType": row["change_type"], "requestedBy": row["requested_by"],
        "status": row["status"], "reason": row["reason"],
        "createdAt": iso(row["created_at"]), "updatedAt": iso(row["updated_at"]),
        "links": {"draft": row["draft_url"], "final": row["final_url"],
                  "library": row["library_url"]},
    }


def _waiting_for(case: RowMapping, requests: Sequence[RowMapping], votes: Sequence[Vote],
                 pending_roles: list[str], now: datetime) -> list[dict[str, Any]]:
    """Per pending role, who can still decide it: an unused request of the current round
    (escalation requests, role ``*``, count for every role) whose deadline is ahead."""
    voted = {v.request_id for v in votes}
    live = [r for r in requests if r["request_id"] not in voted and now < r["deadline"]
            and r["round"] >= case["escalations"]]
    return [{"role": role, "deadline": iso(case["deadline"]),
             "approvers": [{"name": r["approver_name"], "email": r["approver_email"],
                            "kind": r["kind"]} for r in live if r["role"] in (role, "*")]}
            for role in pending_roles]


def document_view(engine: Engine, document_id: str, now: datetime,
                  base_url: str = "") -> dict[str, Any]:
    """Everything ``GET /api/documents/{id}`` shows: the record, the approval (deadline,
    waiting for whom, votes so far) and the master-index entry of the object."""
    view = document_record(engine, document_id)
    base = base_url.rstrip("/")
    view["links"].update(self=f"{base}/api/documents/{document_id}",
                         events=f"{base}/api/documents/{document_id}/events")
    view.update(approval=None, waitingFor=[], votes=[], masterIndex=None)
    with engine.connect() as conn:
        case = conn.execute(sa.select(db.approval_cases).where(
            db.approval_cases.c.document_id == document_id)).mappings().first()
        if case is not None:
            votes = load_votes(conn, document_id)
            requests = conn.execute(sa.select(db.approval_requests).where(
                db.approval_requests.c.document_id == document_id)
                .order_by(db.approval_requests.c.round, db.approval_requests.c.position)
            ).mappings().all()
    if case is not None:
        ballot = ballot_json(case, votes)
        view["approval"] = {
            "tier": case["tier"], "tierName": case["assessment"].get("tierName"),
            "route": case["route"], "slaHours": case["assessment"].get("slaHours"),
            "score": case["assessment"].get("score"), "deadline": iso(case["deadline"]),
            "escalations": case["escalations"], "status": case["status"],
            "decision": ballot["decision"], "requiredRoles": ballot["requiredRoles"],
            "approvedRoles": ballot["approvedRoles"], "pendingRoles": ballot["pendingRoles"],
        }
        view["votes"] = ballot["votes"]
        if case["status"] == "open":
            view["waitingFor"] = _waiting_for(case, requests, votes, ballot["pendingRoles"],
                                              utc(now))
    with contextlib.suppress(NotFound):  # not indexed yet: the view says null
        view["masterIndex"] = index_entry(engine, view["databaseName"], view["physicalName"])
    return view
