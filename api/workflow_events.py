"""Telling a waiting workflow about a decision: the ``approval`` external event.

The event's data is the vote exactly as ``redeem_token`` recorded it (``wire.to_json`` of the
redemption's ``Vote``), which is what the workflow's ``count_vote`` step takes; counting it
there is idempotent on the vote id. The instance is the one that opened the approval, which
the redemption carries.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

__all__ = ["APPROVAL_EVENT", "EventClient", "raise_approval"]

log = logging.getLogger(__name__)

APPROVAL_EVENT = "approval"


class EventClient(Protocol):
    """The one call of ``DurableOrchestrationClient`` used here."""

    async def raise_event(
        self, instance_id: str, event_name: str, event_data: Any = None
    ) -> None: ...


async def raise_approval(client: EventClient, instance_id: str, vote: dict[str, Any]) -> bool:
    """Raise ``approval`` with ``vote`` on its workflow; False (logged) if that failed.

    A failure does not undo the vote: it is recorded with its audit event, and the workflow's
    ballot (read from the database at its next vote or at its deadline) includes it.
    """
    try:
        await client.raise_event(instance_id, APPROVAL_EVENT, vote)
    except Exception:  # the SDK raises bare Exception for 404/410; the network its own
        log.exception(
            "vote %s is recorded but the approval event could not be raised on instance %s",
            vote["voteId"],
            instance_id,
        )
        return False
    log.info(
        "vote %s (%s) raised as event %r on instance %s",
        vote["voteId"],
        vote["decision"],
        APPROVAL_EVENT,
        instance_id,
    )
    return True
