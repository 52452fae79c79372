"""A local Service Bus: queues and topic subscriptions with peek-lock, in SQLite.

Semantics follow Azure Service Bus: a receive locks a message and counts a delivery; complete
deletes it; abandon releases it, or dead-letters it with ``MaxDeliveryCountExceeded`` once its
delivery count reaches the entity's ``MaxDeliveryCount``; an expired lock is an abandon. Session
entities are received one session at a time (the caller holds the session). Locks carry the id of
the broker instance that took them, so after a crash or restart :meth:`ServiceBusBroker.recover`
treats every lock of a dead instance as expired: the message comes back, its delivery counted.

Every queue and subscription has its dead-letter sub-queue at ``<path>/$deadletterqueue``, which
receives like any entity (peek-lock, complete, abandon), as in Service Bus: it has no sessions,
no time to live and no dead-lettering of its own, and a dead letter keeps its delivery count.
An abandoned dead letter comes back after the entity's lock duration (not at once, as Service
Bus does), so that a dead-letter processor that keeps failing does not spin.

All times come from the host clock (virtual or real) as passed to the constructor.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from devhost._sqlite import FIRST, LAST, as_utc, from_ts, later, to_ts
from devhost.messaging._db import transaction
from devhost.messaging.config import BrokerConfig, EntityProperties, subscription_path
from devhost.messaging.errors import SendError
from devhost.messaging.filters import subscription_accepts

__all__ = [
    "DEAD_LETTER_SUFFIX",
    "OutgoingMessage",
    "ReceivedMessage",
    "SendResult",
    "ServiceBusBroker",
    "dead_letter_path",
    "split_dead_letter",
]

_MAX_ID = 128  # Service Bus limit for MessageId and SessionId
# ServiceBusMessage.TimeToLive must be positive and is a .NET TimeSpan (at most
# TimeSpan.MaxValue, 10675199.02:48:05.4775807).
MAX_TIME_TO_LIVE = timedelta(days=10675199, hours=2, minutes=48, seconds=5, microseconds=477580)
UNREADABLE = "UnreadableMessage"  # dead-letter reason of a stored row that cannot be read


DEAD_LETTER_SUFFIX = "/$deadletterqueue"


def dead_letter_path(entity: str) -> str:
    """The path of an entity's dead-letter sub-queue (``<queue>/$deadletterqueue``)."""
    return entity + DEAD_LETTER_SUFFIX


def split_dead_letter(entity: str) -> tuple[str, bool]:
    """``(entity, False)``, or ``(its parent, True)`` for a dead-letter path (any case, as
    Service Bus matches paths case-insensitively)."""
    if entity.lower().endswith(DEAD_LETTER_SUFFIX.lower()):
        return entity[: -len(DEAD_LETTER_SUFFIX)], True
    return entity, False


_SYSTEM_FIELDS = (
    "content_type",
    "correlation_id",
    "subject",
    "to",
    "reply_to",
    "reply_to_session_id",
    "partition_key",
)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message as a sender gives it; ``None`` fields are unset."""

    body: bytes
    message_id: str | None = None
    session_id: str | None = None
    correlation_id: str | None = None
    content_type: str | None = None
    subject: str | None = None
    to: str | None = None
    reply_to: str | None = None
    reply_to_session_id: str | None = None
    partition_key: str | None = None
    application_properties: dict[str, Any] = field(default_factory=dict)
    scheduled_enqueue_time: datetime | None = None
    time_to_live: timedelta | None = None


@dataclass(frozen=True)
class SendResult:
    """Sequence numbers stored, and how many messages duplicate detection dropped."""

    sequence_numbers: list[int]
    duplicates: int = 0


@dataclass(frozen=True)
class ReceivedMessage:
    """A stored message: what a receiver, a dead-letter listing or the trigger metadata shows."""

    sequence_number: int
    entity: str
    message_id: str
    session_id: str | None
    body: bytes
    properties: dict[str, Any]  # system fields of _SYSTEM_FIELDS + application_properties
    enqueued_at: datetime
    scheduled_at: datetime | None
    expires_at: datetime | None
    delivery_count: int
    lock_token: str | None
    locked_until: datetime | None
    dead_letter_reason: str | None = None
    dead_letter_description: str | None = None
    dead_letter_source: str | None = None

    @property
    def application_properties(self) -> dict[str, Any]:
        props: dict[str, Any] = self.properties.get("application_properties", {})
        return props


_COLUMNS = (
    "seq, entity, message_id, session_id, body, props, enqueued_at, scheduled_at, "
    "expires_at, delivery_count, lock_token, locked_until, dl_reason, dl_description, "
    "dl_source"
)


def _properties(text: object) -> dict[str, Any]:
    """A stored ``props`` column: a JSON object, or ValueError saying what it is instead."""
    value = json.loads(text) if isinstance(text, str | bytes) else text
    if not isinstance(value, dict) or not isinstance(value.get("application_properties", {}), dict):
        raise ValueError(f"props: expected a JSON object, got {str(text)[:80]!r}")
    return value


def _row_to_message(row: tuple[Any, ...], lenient: bool = False) -> ReceivedMessage:
    """The message of one stored row. Unreadable properties raise ValueError (or read as
    none, with ``lenient``); so does an unreadable time (or it reads as none)."""

    def moment(value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            return from_ts(value)
        except ValueError:
            if not lenient:
                raise
            return None

    try:
        properties = _properties(row[5])
    except ValueError:
        if not lenient:
            raise
        properties = {"application_properties": {}}
    return ReceivedMessage(
        sequence_number=row[0],
        entity=row[1],
        message_id=row[2],
        session_id=row[3],
        body=bytes(row[4]),
        properties=properties,
        enqueued_at=moment(row[6]) or FIRST,
        scheduled_at=moment(row[7]),
        expires_at=moment(row[8]),
        delivery_count=row[9],
        lock_token=row[10],
        locked_until=moment(row[11]),
        dead_letter_reason=row[12],
        dead_letter_description=row[13],
        dead_letter_source=row[14],
    )


def _expiry(now: datetime, ttl: object) -> str | None:
    """The stored expiry of a resubmitted message whose stored time to live (seconds) is
    ``ttl``: none without one, or past the last moment a datetime holds."""
    if not isinstance(ttl, int | float) or isinstance(ttl, bool):
        return None
    try:
        expires = later(now, timedelta(seconds=ttl))
    except OverflowError:  # more days than a timedelta holds
        return None
    return None if expires >= LAST else to_ts(expires)


def _check_time_to_live(ttl: timedelta | None) -> None:
    if ttl is None:
        return
    if ttl <= timedelta(0):
        raise SendError("timeToLive", f"expected a positive duration, got {ttl}")
    if ttl > MAX_TIME_TO_LIVE:
        raise SendError(
            "timeToLive",
            f"expected at most {MAX_TIME_TO_LIVE.days} days (a .NET TimeSpan), got {ttl.days} days",
        )


def _check_id(value: str | None, name: str) -> None:
    if value is None:
        return
    if not value or len(value) > _MAX_ID or any(ord(c) < 32 for c in value):
        raise SendError(name, f"expected 1 to {_MAX_ID} printable characters, got {value!r}")


class ServiceBusBroker:
    """Queues and subscriptions of one devhost, stored in ``db`` (see ``_db``)."""

    def __init__(
        self, db: sqlite3.Connection, config: BrokerConfig, now: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.config = config
        self._now = now
        self.owner = uuid.uuid4().hex  # this broker instance; locks of others are stale
        self._listeners: list[Callable[[str], None]] = []

    # -- notifications -------------------------------------------------------------------

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(entity)`` after a change that may make messages receivable."""
        self._listeners.append(callback)

    def _notify(self, entities: Iterable[str]) -> None:
        for entity in set(entities):
            for callback in self._listeners:
                callback(entity)

    def now(self) -> datetime:
        return self._now()

    # -- sending -------------------------------------------------------------------------

    def properties(self, entity: str) -> EntityProperties:
        parent, dead = split_dead_letter(entity)
        props = self.config.entities[parent]
        # A dead-letter queue never needs sessions, even under a session-enabled queue.
        return replace(props, requires_session=False) if dead else props

    def targets(self, name: str, message: OutgoingMessage) -> list[str]:
        """The entities a send to queue or topic ``name`` lands in (raises for unknown names)."""
        if name in self.config.topics:
            topic = self.config.topics[name]
            system = {k: getattr(message, k) for k in (*_SYSTEM_FIELDS, "message_id", "session_id")}
            return [
                subscription_path(name, sub)
                for sub, rules in topic.subscriptions.items()
                if subscription_accepts(rules, system, message.application_properties)
            ]
        if name in self.config.entities and "/" not in name:
            return [name]
        source = self.config.source.name if self.config.source else "no Service Bus config file"
        raise SendError(
            "queue",
            f"unknown queue or topic {name!r}: it is not in {source} and no "
            "trigger or output binding uses it",
        )

    def send(self, name: str, messages: list[OutgoingMessage]) -> SendResult:
        """Validate then store ``messages`` sent to queue or topic ``name``, all or none.

        Duplicates within the detection window and topic messages no subscription accepts store
        nothing, as in Service Bus.
        """
        now = self.now()
        plans = []
        for message in messages:
            _check_id(message.message_id, "messageId")
            _check_id(message.session_id, "sessionId")
            _check_time_to_live(message.time_to_live)
            if not isinstance(message.body, bytes):
                raise SendError("body", "expected bytes")
            targets = self.targets(name, message)
            for entity in targets:
                if self.properties(entity).requires_session and message.session_id is None:
                    raise SendError(
                        "sessionId",
                        f"{entity!r} requires sessions: every message needs a session id",
                    )
            plans.append((message, targets))
        stored: list[int] = []
        duplicates = 0
        with transaction(self.db):
            for message, targets in plans:
                message_id = message.message_id or uuid.uuid4().hex
                if self._is_duplicate(name, message_id, now):
                    duplicates += 1
                    continue
                for entity in targets:
                    stored.append(self._insert(entity, message, message_id, now))
        self._notify(t for _, targets in plans for t in targets)
        return SendResult(stored, duplicates)

    def _dedup_window(self, name: str) -> timedelta | None:
        if name in self.config.topics:
            topic = self.config.topics[name]
            return topic.duplicate_detection_window if topic.requires_duplicate_detection else None
        props = self.config.entities[name]
        return props.duplicate_detection_window if props.requires_duplicate_detection else None

    def _is_duplicate(self, name: str, message_id: str, now: datetime) -> bool:
        window = self._dedup_window(name)
        if window is None:
            return False
        seen = self.db.execute(
            "SELECT 1 FROM sb_duplicate WHERE entity = ? AND message_id = ? AND expires_at > ?",
            (name, message_id, to_ts(now)),
        ).fetchone()
        if seen:
            return True
        self.db.execute(
            "INSERT OR REPLACE INTO sb_duplicate VALUES (?, ?, ?)",
            (name, message_id, to_ts(later(now, window))),
        )
        return False

    def _insert(self, entity: str, message: OutgoingMessage, message_id: str, now: datetime) -> int:
        props: dict[str, Any] = {
            k: getattr(message, k) for k in _SYSTEM_FIELDS if getattr(message, k) is not None
        }
        props["application_properties"] = message.application_properties
        scheduled = message.scheduled_enqueue_time
        scheduled = None if scheduled is None else as_utc(scheduled)
        # Service Bus applies the shorter of the message's and the entity's time to live.
        ttls = [t for t in (message.time_to_live, self.properties(entity).default_ttl) if t]
        ttl = min(ttls) if ttls else None
        if ttl is not None:
            props["time_to_live"] = ttl.total_seconds()
        visible = max(now, scheduled) if scheduled is not None else now
        expires = None if ttl is None else later(visible, ttl)
        if expires is not None and expires >= LAST:
            expires = None  # past DateTimeOffset.MaxValue, where Service Bus caps ExpiresAt
        cursor = self.db.execute(
            "INSERT INTO sb_message (entity, message_id, session_id, body, props, enqueued_at,"
            " scheduled_at, visible_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entity,
                message_id,
                message.session_id,
                message.body,
                json.dumps(props),
                to_ts(now),
                None if scheduled is None else to_ts(scheduled),
                to_ts(visible),
                None if expires is None else to_ts(expires),
            ),
        )
        return int(cursor.lastrowid or 0)

    # -- receiving -----------------------------------------------------------------------

    _READY = (
        "entity = ? AND dead_letter = ? AND visible_at <= ? "
        "AND (lock_token IS NULL OR locked_until <= ?)"
    )

    def receive(
        self,
        entity: str,
        max_count: int = 1,
        session_id: str | None = None,
    ) -> list[ReceivedMessage]:
        """Lock up to ``max_count`` receivable messages in sequence order (of one session when
        ``session_id`` is given); each lock counts a delivery."""
        props = self.properties(entity)
        parent, dead = split_dead_letter(entity)
        moment = self.now()
        now = to_ts(moment)
        # Walk in sequence order; the planner would otherwise sort every visible message.
        index = "sb_message_session" if session_id is not None else "sb_message_order"
        session_clause = " AND session_id = ?" if session_id is not None else ""
        params: tuple[Any, ...] = (parent, int(dead), now, now) + (
            (session_id,) if session_id is not None else ()
        )
        with transaction(self.db):
            if not dead:  # dead letters do not expire
                self._expire(entity, now, props)
            rows = self.db.execute(
                f"SELECT seq, lock_token, delivery_count FROM sb_message INDEXED BY {index}"
                f" WHERE {self._READY}"
                f"{session_clause} ORDER BY seq LIMIT ?",
                (*params, max_count),
            ).fetchall()
            taken: list[int] = []
            for seq, stale_lock, deliveries in rows:
                if not dead and stale_lock is not None and deliveries >= props.max_delivery_count:
                    self._dead_letter_max(seq, props)  # its lock ran out on the last delivery
                    continue
                # A dead letter keeps the delivery count it was dead-lettered with.
                self.db.execute(
                    "UPDATE sb_message SET lock_token = ?, locked_until = ?, lock_owner = ?,"
                    " delivery_count = delivery_count + ? WHERE seq = ?",
                    (
                        uuid.uuid4().hex,
                        to_ts(later(moment, props.lock_duration)),
                        self.owner,
                        int(not dead),
                        seq,
                    ),
                )
                taken.append(seq)
            return self._load(taken)

    def _load(self, seqs: list[int]) -> list[ReceivedMessage]:
        """The messages of ``seqs``; a row that cannot be read is dead-lettered with the reason
        ``UnreadableMessage`` instead, so that no stored message can fail every receive."""
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM sb_message WHERE seq IN ({marks}) ORDER BY seq", seqs
        ).fetchall()
        messages = []
        for row in rows:
            try:
                messages.append(_row_to_message(row))
            except (ValueError, TypeError) as error:
                self.db.execute(
                    "UPDATE sb_message SET dead_letter = 1, lock_token = NULL, locked_until = NULL,"
                    " lock_owner = NULL, dl_reason = ?, dl_description = ? WHERE seq = ?",
                    (UNREADABLE, f"devhost cannot read the stored message: {error}", row[0]),
                )
        return messages

    def _expire(self, entity: str, now: str, props: EntityProperties) -> None:
        """Drop (or dead-letter) unlocked messages whose time to live has passed."""
        where = (
            "entity = ? AND dead_letter = 0 AND expires_at IS NOT NULL AND expires_at <= ? "
            "AND (lock_token IS NULL OR locked_until <= ?)"
        )
        if props.dead_lettering_on_expiration:
            self.db.execute(
                "UPDATE sb_message SET dead_letter = 1, lock_token = NULL, locked_until = NULL,"
                " dl_reason = 'TTLExpiredException', dl_description = 'The message expired and "
                f"was dead lettered.' WHERE {where}",
                (entity, now, now),
            )
        else:
            self.db.execute(f"DELETE FROM sb_message WHERE {where}", (entity, now, now))

    def next_session(self, entity: str, held: Iterable[str]) -> str | None:
        """The session of the oldest receivable message, skipping sessions in ``held``."""
        held = list(held)
        now = to_ts(self.now())
        exclude = f" AND session_id NOT IN ({','.join('?' * len(held))})" if held else ""
        row = self.db.execute(
            "SELECT session_id FROM sb_message INDEXED BY sb_message_order"
            f" WHERE {self._READY} AND session_id IS NOT NULL"
            f"{exclude} ORDER BY seq LIMIT 1",
            (entity, 0, now, now, *held),
        ).fetchone()
        return None if row is None else str(row[0])

    def has_ready(self, entity: str, held_sessions: Iterable[str] = ()) -> bool:
        """True when a receive would get a message now (outside ``held_sessions``)."""
        held = list(held_sessions)
        parent, dead = split_dead_letter(entity)
        now = to_ts(self.now())
        exclude = (
            f" AND (session_id IS NULL OR session_id NOT IN ({','.join('?' * len(held))}))"
            if held
            else ""
        )
        return (
            self.db.execute(
                f"SELECT 1 FROM sb_message INDEXED BY sb_message_order WHERE {self._READY}{exclude}"
                " LIMIT 1",
                (parent, int(dead), now, now, *held),
            ).fetchone()
            is not None
        )

    def next_visible(self, entity: str) -> datetime | None:
        """When the next scheduled (or lock-expiring) message of ``entity`` becomes receivable."""
        parent, dead = split_dead_letter(entity)
        now = to_ts(self.now())
        scheduled = self.db.execute(
            "SELECT MIN(visible_at) FROM sb_message WHERE entity = ? AND dead_letter = ? AND"
            " visible_at > ? AND lock_token IS NULL",
            (parent, int(dead), now),
        ).fetchone()[0]
        lock_expiry = self.db.execute(
            "SELECT MIN(locked_until) FROM sb_message WHERE lock_token IS NOT NULL AND"
            " entity = ? AND dead_letter = ? AND locked_until > ?",
            (parent, int(dead), now),
        ).fetchone()[0]
        moments = [m for m in (scheduled, lock_expiry) if m is not None]
        try:
            return from_ts(min(moments)) if moments else None
        except ValueError:  # a hand-edited time: that message never comes, the others do
            return None

    # -- settling ------------------------------------------------------------------------

    def _owned(self, tokens: list[str]) -> tuple[str, list[Any]]:
        marks = ",".join("?" * len(tokens))
        return f"lock_token IN ({marks}) AND lock_owner = ?", [*tokens, self.owner]

    def complete(self, tokens: list[str]) -> int:
        """Delete the messages locked by ``tokens``; returns how many locks were still held."""
        where, params = self._owned(tokens)
        with transaction(self.db):
            return int(self.db.execute(f"DELETE FROM sb_message WHERE {where}", params).rowcount)

    def abandon(self, tokens: list[str]) -> None:
        """Release the locks; a message on its last allowed delivery is dead-lettered."""
        where, params = self._owned(tokens)
        with transaction(self.db):
            rows = self.db.execute(
                f"SELECT seq, entity, delivery_count, dead_letter FROM sb_message WHERE {where}",
                params,
            ).fetchall()
            entities = set()
            for seq, entity, deliveries, dead in rows:
                props = self.properties(entity)
                entities.add(entity)
                if dead:
                    # Service Bus offers an abandoned dead letter again at once; a dead-letter
                    # processor that keeps failing would spin, so it waits a lock duration.
                    self.db.execute(
                        "UPDATE sb_message SET lock_token = NULL, locked_until = NULL,"
                        " lock_owner = NULL, visible_at = ? WHERE seq = ?",
                        (to_ts(later(self.now(), props.lock_duration)), seq),
                    )
                elif deliveries >= props.max_delivery_count:
                    self._dead_letter_max(seq, props)
                else:
                    self.db.execute(
                        "UPDATE sb_message SET lock_token = NULL, locked_until = NULL,"
                        " lock_owner = NULL WHERE seq = ?",
                        (seq,),
                    )
        self._notify(entities)

    def renew(self, tokens: list[str], entity: str) -> datetime:
        """Extend the locks by the entity's lock duration from now; returns the new expiry."""
        until = later(self.now(), self.properties(entity).lock_duration)
        where, params = self._owned(tokens)
        with transaction(self.db):
            self.db.execute(
                f"UPDATE sb_message SET locked_until = ? WHERE {where}", [to_ts(until), *params]
            )
        return until

    def _dead_letter_max(self, seq: int, props: EntityProperties) -> None:
        self.db.execute(
            "UPDATE sb_message SET dead_letter = 1, lock_token = NULL, locked_until = NULL, "
            "lock_owner = NULL, dl_reason = 'MaxDeliveryCountExceeded', dl_description = ? "
            "WHERE seq = ?",
            (
                f"Message could not be consumed after {props.max_delivery_count} delivery "
                "attempts.",
                seq,
            ),
        )

    def recover(self) -> int:
        """Release every lock held by another (dead) broker instance, as a lock expiry would.

        Returns how many messages were in flight. Called once at start, before receiving.
        """
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT seq, entity, delivery_count, dead_letter FROM sb_message WHERE"
                " lock_token IS NOT NULL AND lock_owner IS NOT ?",
                (self.owner,),
            ).fetchall()
            for seq, entity, deliveries, dead in rows:
                props = self.config.entities.get(entity, EntityProperties())
                if not dead and deliveries >= props.max_delivery_count:
                    self._dead_letter_max(seq, props)
                else:
                    self.db.execute(
                        "UPDATE sb_message SET lock_token = NULL, locked_until = NULL,"
                        " lock_owner = NULL WHERE seq = ?",
                        (seq,),
                    )
        self._notify(entity for _, entity, _, _ in rows)
        return len(rows)

    # -- inspection and dead-letter management -------------------------------------------

    def counts(self, entity: str) -> dict[str, int]:
        """Active (including locked), locked, scheduled and dead-letter message counts."""
        now = to_ts(self.now())
        row = self.db.execute(
            "SELECT"
            " COALESCE(SUM(dead_letter = 0 AND visible_at <= ?), 0),"
            " COALESCE(SUM(dead_letter = 0 AND lock_token IS NOT NULL AND locked_until > ?), 0),"
            " COALESCE(SUM(dead_letter = 0 AND visible_at > ?), 0),"
            " COALESCE(SUM(dead_letter = 1), 0)"
            " FROM sb_message WHERE entity = ?",
            (now, now, now, entity),
        ).fetchone()
        return {"active": row[0], "locked": row[1], "scheduled": row[2], "deadLetter": row[3]}

    def dead_letters(self, entity: str) -> list[ReceivedMessage]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM sb_message WHERE entity = ? AND dead_letter = 1 ORDER BY seq",
            (entity,),
        ).fetchall()
        return [_row_to_message(r, lenient=True) for r in rows]

    def resubmit(self, entity: str, message_id: str) -> int:
        """Move dead-lettered messages with ``message_id`` back to ``entity`` as new messages.

        Returns how many were moved (0 when none matched). Their delivery count restarts.
        """
        now = self.now()
        stamp = to_ts(now)
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT seq, session_id, body, props FROM sb_message WHERE entity = ? AND"
                " dead_letter = 1 AND message_id = ? ORDER BY seq",
                (entity, message_id),
            ).fetchall()
            for seq, session_id, body, props in rows:
                try:
                    ttl = _properties(props).get("time_to_live")
                except ValueError:
                    ttl = None
                self.db.execute(
                    "INSERT INTO sb_message (entity, message_id, session_id, body, props,"
                    " enqueued_at, visible_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entity,
                        message_id,
                        session_id,
                        body,
                        props,
                        stamp,
                        stamp,
                        _expiry(now, ttl),
                    ),
                )
                self.db.execute("DELETE FROM sb_message WHERE seq = ?", (seq,))
            moved = len(rows)
        self._notify([entity])
        return moved
