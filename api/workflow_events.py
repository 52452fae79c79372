"""Telling a waiting workflow about a decision: the ``approval`` external event.

The event's data is the vote exactly as ``redeem_token`` recorded it (``Vote.to_json()``), which
is what the workflow's ``record_vote`` step takes; recording it there is idempotent on the vote
id. The instance is the one that opened the approval (``approval_cases.instance_id``).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services import NotFound
from services.db import approval_cases

__all__ = ["APPROVAL_EVENT", "EventClient", "approval_instance_id", "raise_approval"]

log = logging.getLogger(__name__)

APPROVAL_EVENT = "approval"


class EventClient(Protocol):
    """The one call of ``DurableOrchestrationClient`` used here."""

    async def raise_event(self, instance_id: str, event_name: str,
                          event_data: Any = None) -> None: ...


def approval_instance_id(engine: Engine, document_id: str) -> str:
    """The workflow instance waiting for votes on ``document_id``.

    ``Redemption`` does not carry it, so it is read from the approval case the workflow
    opened (by ingress's rule it equals the document id, but the case is the record).
    """
    with engine.connect() as conn:
        instance_id = conn.execute(sa.select(approval_cases.c.instance_id).where(
            approval_cases.c.document_id == document_id)).scalar_one_or_none()
    if instance_id is None:
        raise NotFound(f"no approval for document {document_id!r}")
    return str(instance_id)


async def raise_approval(client: EventClient, engine: Engine, vote: dict[str, Any]) -> bool:
    """Raise ``approval`` with ``vote`` on its workflow; False (logged) if that failed.

    A failure does not undo the vote: it is recorded, and the workflow's ballot (read from the
    database at its next vote or at its deadline) includes it.
    """
    instance_id = approval_instance_id(engine, vote["documentId"])
    try:
        await client.raise_event(instance_id, APPROVAL_EVENT, vote)
    except Exception:  # the SDK raises bare Exception for 404/410; the network its own
        log.exception("vote %s is recorded but the approval event could not be raised on "
                      "instance %s", vote["voteId"], instance_id)
        return False
    log.info("vote %s (%s) raised as event %r on instance %s", vote["voteId"],
             vote["decision"], APPROVAL_EVENT, instance_id)
    return True
