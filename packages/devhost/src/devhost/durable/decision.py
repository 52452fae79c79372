"""What an episode decided, as data: the history events to record, the work, timers and
messages to send, the instance's new status. ``episode.Episode`` computes a :class:`Decision`
without touching the store; ``instance_store.apply`` applies it in one transaction, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .rows import InstanceRow

__all__ = [
    "AppendHistory",
    "CancelTimer",
    "Consume",
    "ContinueAsNew",
    "Decision",
    "Defer",
    "DeliverEvents",
    "Finish",
    "Op",
    "Post",
    "ScheduleWork",
    "SendToEntity",
    "SetState",
    "SetStatus",
    "StartChild",
    "WaitForEvent",
]

Event = dict[str, Any]
KEEP = ...  # a custom status that the operation leaves as it is


@dataclass(frozen=True)
class Consume:
    """Take these inbox messages; if any was taken meanwhile the whole episode is stale."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class Defer:
    """Leave these inbox messages queued, offered again at ``until``."""

    ids: tuple[int, ...]
    until: datetime


@dataclass(frozen=True)
class AppendHistory:
    events: tuple[Event, ...]


@dataclass(frozen=True)
class DeliverEvents:
    """External events handed to waits: the waits they satisfied, by event name."""

    counts: dict[str, int]


@dataclass(frozen=True)
class CancelTimer:
    timer_id: int


@dataclass(frozen=True)
class WaitForEvent:
    name: str | None


@dataclass(frozen=True)
class ScheduleWork:
    """An activity (or the built-in HTTP activity) for the activity loop."""

    execution_id: str
    task_id: int
    kind: str
    name: str
    input: Any


@dataclass(frozen=True)
class Post:
    """A message to an instance's inbox, visible at ``visible_at``."""

    instance_id: str
    kind: str
    event: Event
    visible_at: datetime
    execution_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SendToEntity:
    entity_id: str
    message: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class StartChild:
    """Create a sub-orchestration, or post ``if_running`` when an instance with its id still
    runs (the store knows that only in the transaction)."""

    name: str
    instance_id: str
    input: Any
    at: datetime
    version: str | None
    execution_id: str
    parent: tuple[str, int, str]
    if_running: Post


@dataclass(frozen=True)
class Finish:
    """End the execution: record ``events``, drop its pending work, tell the parent."""

    status: str
    output: str | None
    at: datetime
    events: tuple[Event, ...]
    custom_status: Any = KEEP


@dataclass(frozen=True)
class SetState:
    """The host's bookkeeping of the execution (``episode.Progress``, as JSON)."""

    state: str


@dataclass(frozen=True)
class SetStatus:
    status: str
    at: datetime
    custom_status: Any = KEEP
    state: str | None = None


@dataclass(frozen=True)
class ContinueAsNew:
    """Start a fresh execution with the new input; buffered events stay in the inbox."""

    input: Any
    custom_status: str | None
    at: datetime
    execution_id: str
    started: Event


Op = (
    Consume
    | Defer
    | AppendHistory
    | DeliverEvents
    | CancelTimer
    | WaitForEvent
    | ScheduleWork
    | Post
    | SendToEntity
    | StartChild
    | Finish
    | SetState
    | SetStatus
    | ContinueAsNew
)


@dataclass
class Decision:
    """The operations of one episode of ``instance``, in the order they apply."""

    instance: InstanceRow
    ops: list[Op] = field(default_factory=list)
