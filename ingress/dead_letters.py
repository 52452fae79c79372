"""The dead-letter processor: every message Service Bus dead-letters from ``device-events`` or
``schema-changes`` (a trigger on each ``<queue>/$deadletterqueue``) is recorded with its reason
and description beside the quarantine, logged with its message and correlation ids, and
counted; an operator lists them (``GET /api/dead-letters``) and hands one back to its ingress
(``POST /api/dead-letters/{id}/resubmit``, :func:`resubmit_dead_letter`).

Why resubmit to the ingress and not to the queue: the dead-letter trigger has completed the
message (it is no longer in the dead-letter queue), and a Functions output binding cannot set
the session id a ``device-events`` message needs. The ingress is what the queue would have
delivered it to; only the session's one-at-a-time order is not kept for that one message.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from ingress import device_events, schema_changes
from ingress._messages import ReceivedMessage
from services import InvalidInput
from services.records.dead_letters import (
    DeadLetter,
    DeadLetterReceipt,
    abort_resubmission,
    finish_resubmission,
    record_dead_letter,
    start_resubmission,
)
from telemetry import record_dead_lettered

__all__ = ["QUEUES", "DeadLetterMessage", "accept_dead_letter", "resubmit_dead_letter"]

log = logging.getLogger(__name__)

QUEUES = (device_events.QUEUE, schema_changes.QUEUE)


@dataclass(frozen=True)
class DeadLetterMessage:
    """What the processor needs of a message received from a dead-letter queue."""

    queue: str  # the queue it was dead-lettered from
    message_id: str | None
    body: bytes
    sequence_number: int | None = None
    session_id: str | None = None
    correlation_id: str | None = None
    reason: str | None = None
    description: str | None = None
    delivery_count: int = 0
    enqueued_at: datetime | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dead_letter_reason(self) -> str | None:
        # Service Bus also keeps the reason and description as application properties.
        return self.reason or _text(self.properties.get("DeadLetterReason"))

    @property
    def dead_letter_description(self) -> str | None:
        return self.description or _text(self.properties.get("DeadLetterErrorDescription"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def accept_dead_letter(
    message: DeadLetterMessage, *, engine: Engine, now: datetime
) -> DeadLetterReceipt:
    """Record and log one dead letter (once, however often it is delivered)."""
    recorded = record_dead_letter(
        engine,
        source=message.queue,
        message_id=message.message_id or f"seq-{message.sequence_number}",
        sequence_number=message.sequence_number,
        session_id=message.session_id,
        correlation_id=message.correlation_id,
        reason=message.dead_letter_reason,
        description=message.dead_letter_description,
        delivery_count=message.delivery_count,
        enqueued_at=message.enqueued_at,
        body=message.body,
        properties={
            k: v
            for k, v in message.properties.items()
            if isinstance(v, str | int | float | bool) or v is None
        },
        now=now,
    )
    if not recorded.duplicate:
        stored = recorded.dead_letter
        record_dead_lettered(message.queue, stored.reason or "unknown")
        # %r: the ids, reason and description come from outside; a CR/LF in one must not
        # start a forged log line.
        log.error(
            "dead letter from %s: message %r (correlation %r, session %r) %r: %r; recorded as %s",
            message.queue,
            stored.message_id,
            message.correlation_id,
            message.session_id,
            stored.reason,
            stored.description,
            stored.id,
            extra={
                "deadLetterId": stored.id,
                "messageId": stored.message_id,
                "correlationId": message.correlation_id,
                "deadLetterReason": stored.reason,
            },
        )
    return recorded


async def resubmit_dead_letter(
    dead_letter_id: str, *, engine: Engine, client: Any, databases: Container[str], now: datetime
) -> DeadLetter:
    """Hand a recorded dead letter back to the ingress of its queue, once; returns the record
    with its ``resubmit_outcome`` (what the ingress did: started, routed, quarantined, ...)."""
    found = start_resubmission(engine, dead_letter_id, now)
    try:
        if found.source not in QUEUES:
            raise InvalidInput(
                "source",
                f"{found.source!r} has no ingress to resubmit to; "
                f"expected one of {', '.join(QUEUES)}",
            )
        text = found.body or ""
        body = base64.b64decode(text) if found.body_encoding == "base64" else text.encode("utf-8")
        message = ReceivedMessage(
            found.message_id,
            body,
            1,
            queue=found.source,
            session_id=found.session_id,
            enqueued_at=found.enqueued_at,
        )
        if found.source == device_events.QUEUE:
            outcome = await device_events.accept_device_event(
                message, engine=engine, client=client, now=now
            )
        else:
            outcome = await schema_changes.accept_schema_change(
                message, engine=engine, databases=databases, client=client, now=now
            )
    except BaseException:
        abort_resubmission(engine, dead_letter_id)
        raise
    log.info("dead letter %s resubmitted to %s: %s", dead_letter_id, found.source, outcome.action)
    return finish_resubmission(
        engine,
        dead_letter_id,
        {
            "action": outcome.action,
            "messageId": outcome.message_id,
            "instanceId": outcome.instance_id,
            "reason": outcome.reason,
        },
    )
