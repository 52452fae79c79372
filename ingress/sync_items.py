"""Scheduled workflows: what a timer tick enqueues, and how a sync item starts its workflow.

A tick (``run_tick``) reads the schedules, moves the tick cursor and returns one sync item per
schedule that fell due since the previous tick. The queue trigger (``accept_sync_item``)
starts the item's workflow under ``Workflow-{Id}-{SyncName}-{Date}`` unless an instance with
that id is pending, running or suspended. A message that is not a sync item is quarantined
with a reason and completed; a failure of the durable client raises, so the queue retries it
(and moves it to ``output-queue-poison`` after ``maxDequeueCount``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from ingress._instances import ACTIVE_STATUSES, InstanceStarter, runtime_status
from schedules import (
    BadSyncItem,
    LoadedSchedules,
    Rejection,
    SyncItem,
    due_items,
    parse_sync_item,
    tick_time,
)
from schedules.cursor import take_tick
from services import derive_id, quarantine_message

__all__ = ["SYNC_QUEUE", "TIMER", "ReceivedItem", "SyncOutcome", "accept_sync_item", "run_tick"]

log = logging.getLogger(__name__)

SYNC_QUEUE = "output-queue"
TIMER = "enqueue_due_schedules"  # the timer function; also the tick cursor's name
ORCHESTRATOR = "workflow"  # the generic interpreter (orchestration.blueprint)


@dataclass(frozen=True)
class ReceivedItem:
    """What the queue trigger needs of a storage-queue message."""

    message_id: str | None
    body: bytes
    dequeue_count: int = 1

    @property
    def key(self) -> str:
        return self.message_id or derive_id(SYNC_QUEUE, self.body.hex())


@dataclass(frozen=True)
class SyncOutcome:
    """``started``, ``duplicate-ignored`` or ``quarantined``, with the instance id when known."""

    action: str
    message_id: str
    instance_id: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


_reported: tuple[Rejection, ...] = ()


def run_tick(
    engine: Engine, loaded: LoadedSchedules, status: Mapping[str, Any] | None, now: datetime
) -> list[SyncItem]:
    """The items this tick enqueues (none when another host already took the tick)."""
    _report(loaded.rejections)
    tick = tick_time(status, now)
    taken = take_tick(engine, TIMER, tick, now)
    if taken is None:
        log.info("schedules: tick %s was already handled; nothing enqueued", tick.isoformat())
        return []
    items = due_items(loaded.schedules, taken.previous, tick)
    for item in items:
        log.info(
            "schedules: %s due at %s -> %s",
            item.id,
            item.to_json()["triggerDateUtc"],
            item.instance_id,
        )
    return items


def _report(rejections: list[Rejection]) -> None:
    """Log rejected entries when they change, not on every tick."""
    global _reported
    current = tuple(rejections)
    if current != _reported:
        for rejection in current:
            log.warning("schedules: rejected %s", rejection)
        _reported = current


async def accept_sync_item(
    message: ReceivedItem, *, engine: Engine, client: InstanceStarter, now: datetime
) -> SyncOutcome:
    """Start the item's workflow, skip it as a duplicate, or quarantine the message."""
    try:
        item = parse_sync_item(message.body)
    except BadSyncItem as bad:
        details = {**bad.details, "dequeueCount": message.dequeue_count}
        quarantine_message(
            engine,
            message_id=message.key,
            source=SYNC_QUEUE,
            reason=bad.reason,
            details=details,
            body=message.body,
            now=now,
        )
        log.warning("sync item %s quarantined (%s): %s", message.key, bad.reason, bad.details)
        return SyncOutcome("quarantined", message.key, reason=bad.reason, details=details)
    instance_id = item.instance_id
    status = runtime_status(await client.get_status(instance_id))
    if status in ACTIVE_STATUSES:
        return _duplicate(message, instance_id, status)
    try:
        await client.start_new(ORCHESTRATOR, instance_id, item.orchestrator_input())
    except Exception:
        # A twin item may have started it between our look and our start (the host refuses
        # a second start of a running id): that is a duplicate, anything else is retried.
        status = runtime_status(await client.get_status(instance_id))
        if status in ACTIVE_STATUSES:
            log.info(
                "sync item %s: the start of %s was refused; a twin item started it",
                message.key,
                instance_id,
            )
            return _duplicate(message, instance_id, status)
        raise
    log.info("sync item %s: started %s (workflow %s)", message.key, instance_id, item.workflow)
    return SyncOutcome("started", message.key, instance_id)


def _duplicate(message: ReceivedItem, instance_id: str, status: str) -> SyncOutcome:
    log.warning(
        "sync item %s: %s is %s; duplicate ignored, nothing started",
        message.key,
        instance_id,
        status,
    )
    return SyncOutcome(
        "duplicate-ignored", message.key, instance_id, details={"runtimeStatus": status}
    )
