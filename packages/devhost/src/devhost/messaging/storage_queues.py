"""Local Azure Storage queues with the Functions queue trigger's semantics, in SQLite.

A get makes a message invisible and counts a dequeue; delete removes it; release makes it visible
again after the host's ``visibilityTimeout``. When a message fails on its ``maxDequeueCount``-th
dequeue it moves to ``<queue>-poison`` (a new message with the same body), as the Functions host
does. Messages held by a dead devhost come back at start (:meth:`StorageQueues.recover`).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from devhost._sqlite import from_ts, later, to_ts
from devhost.messaging._db import transaction
from devhost.messaging.errors import SendError

__all__ = ["PROCESSING", "QueueMessage", "StorageQueues", "check_queue_name", "poison_queue"]

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
_DEFAULT_TTL = timedelta(days=7)  # Azure Storage's default message time to live
PROCESSING = timedelta(minutes=10)  # how long a message stays invisible while a handler runs


def check_queue_name(name: str) -> None:
    """Azure's rule: 3-63 lowercase letters, digits and single hyphens, not at the ends."""
    if not _NAME.match(name):
        raise SendError(
            "queue",
            f"{name!r} is not a storage queue name: expected 3-63 lowercase "
            "letters, digits and single hyphens, starting and ending with "
            "a letter or digit",
        )


def poison_queue(name: str) -> str:
    return f"{name}-poison"


@dataclass(frozen=True)
class QueueMessage:
    """A stored queue message as the trigger metadata describes it."""

    id: str
    queue: str
    body: bytes
    inserted_at: datetime
    expires_at: datetime
    visible_at: datetime
    dequeue_count: int
    pop_receipt: str | None


class StorageQueues:
    """All storage queues of one devhost in the broker file ``db``."""

    def __init__(self, db: sqlite3.Connection, now: Callable[[], datetime]) -> None:
        self.db = db
        self._now = now
        self.owner = uuid.uuid4().hex
        self._listeners: list[Callable[[str], None]] = []
        self._declared: set[str] = set()

    def declare(self, queue: str) -> None:
        """Make a queue a binding uses show in :meth:`queues` before it holds any message."""
        check_queue_name(queue)
        self._declared.add(queue)

    def on_change(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _notify(self, queues: Iterable[str]) -> None:
        for queue in set(queues):
            for callback in self._listeners:
                callback(queue)

    def now(self) -> datetime:
        return self._now()

    def put(
        self,
        queue: str,
        bodies: list[bytes],
        visibility_delay: timedelta | None = None,
    ) -> list[str]:
        """Add messages (all or none); returns their ids."""
        check_queue_name(queue)
        now = self.now()
        stamp, expires = to_ts(now), to_ts(later(now, _DEFAULT_TTL))
        visible = to_ts(later(now, visibility_delay)) if visibility_delay else stamp
        ids = [uuid.uuid4().hex for _ in bodies]
        with transaction(self.db):
            self.db.executemany(
                "INSERT INTO sq_message (id, queue, body, inserted_at, expires_at, visible_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (i, queue, body, stamp, expires, visible)
                    for i, body in zip(ids, bodies, strict=True)
                ],
            )
        self._notify([queue])
        return ids

    def get(self, queue: str, max_count: int) -> list[QueueMessage]:
        """Take up to ``max_count`` visible messages, oldest first, counting a dequeue each."""
        moment = self.now()
        now, until = to_ts(moment), to_ts(later(moment, PROCESSING))
        with transaction(self.db):
            self.db.execute(
                "DELETE FROM sq_message WHERE queue = ? AND expires_at <= ?", (queue, now)
            )
            rows = self.db.execute(
                "SELECT seq FROM sq_message INDEXED BY sq_message_order WHERE queue = ? AND"
                " visible_at <= ? ORDER BY seq"
                " LIMIT ?",
                (queue, now, max_count),
            ).fetchall()
            for (seq,) in rows:
                self.db.execute(
                    "UPDATE sq_message SET dequeue_count = dequeue_count + 1, pop_receipt = ?,"
                    " visible_at = ?, lock_owner = ? WHERE seq = ?",
                    (uuid.uuid4().hex, until, self.owner, seq),
                )
            return self._load([seq for (seq,) in rows])

    def _load(self, seqs: list[int]) -> list[QueueMessage]:
        if not seqs:
            return []
        rows = self.db.execute(
            "SELECT id, queue, body, inserted_at, expires_at, visible_at, dequeue_count,"
            f" pop_receipt FROM sq_message WHERE seq IN ({','.join('?' * len(seqs))})"
            " ORDER BY seq",
            seqs,
        ).fetchall()
        return [
            QueueMessage(
                r[0],
                r[1],
                bytes(r[2]),
                from_ts(r[3]),
                from_ts(r[4]),
                from_ts(r[5]),
                r[6],
                r[7],
            )
            for r in rows
        ]

    def delete(self, message: QueueMessage) -> None:
        with transaction(self.db):
            self.db.execute(
                "DELETE FROM sq_message WHERE id = ? AND pop_receipt = ?",
                (message.id, message.pop_receipt),
            )

    def extend(self, message: QueueMessage) -> datetime:
        """Keep a message that is still being handled invisible for another processing span."""
        until = later(self.now(), PROCESSING)
        with transaction(self.db):
            self.db.execute(
                "UPDATE sq_message SET visible_at = ? WHERE id = ? AND pop_receipt = ?",
                (to_ts(until), message.id, message.pop_receipt),
            )
        return until

    def release(
        self, message: QueueMessage, visibility_timeout: timedelta, max_dequeue_count: int
    ) -> bool:
        """After a failure: back to the queue after ``visibility_timeout``, or to the poison
        queue when this was its last allowed dequeue. Returns True when it was poisoned."""
        moment = self.now()
        now = to_ts(moment)
        poisoned = message.dequeue_count >= max_dequeue_count
        with transaction(self.db):
            if poisoned:
                self.db.execute("DELETE FROM sq_message WHERE id = ?", (message.id,))
                self.db.execute(
                    "INSERT INTO sq_message (id, queue, body, inserted_at, expires_at, visible_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        uuid.uuid4().hex,
                        poison_queue(message.queue),
                        message.body,
                        now,
                        to_ts(later(moment, _DEFAULT_TTL)),
                        now,
                    ),
                )
            else:
                self.db.execute(
                    "UPDATE sq_message SET visible_at = ?, lock_owner = NULL WHERE id = ? AND"
                    " pop_receipt = ?",
                    (to_ts(later(moment, visibility_timeout)), message.id, message.pop_receipt),
                )
        self._notify([poison_queue(message.queue) if poisoned else message.queue])
        return poisoned

    def recover(self) -> int:
        """Make messages held by a dead devhost visible now (their dequeue stays counted)."""
        now = to_ts(self.now())
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT DISTINCT queue FROM sq_message WHERE lock_owner IS NOT NULL AND"
                " lock_owner IS NOT ? AND visible_at > ?",
                (self.owner, now),
            ).fetchall()
            count = self.db.execute(
                "UPDATE sq_message SET visible_at = ?, lock_owner = NULL WHERE lock_owner IS NOT"
                " NULL AND lock_owner IS NOT ? AND visible_at > ?",
                (now, self.owner, now),
            ).rowcount
        self._notify(q for (q,) in rows)
        return int(count)

    def has_ready(self, queue: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM sq_message WHERE queue = ? AND visible_at <= ? LIMIT 1",
                (queue, to_ts(self.now())),
            ).fetchone()
            is not None
        )

    def next_visible(self, queue: str) -> datetime | None:
        row = self.db.execute(
            "SELECT MIN(visible_at) FROM sq_message WHERE queue = ? AND visible_at > ?",
            (queue, to_ts(self.now())),
        ).fetchone()
        try:
            return None if row[0] is None else from_ts(row[0])
        except ValueError:  # a hand-edited time: that message never comes, the others do
            return None

    def counts(self, queue: str) -> dict[str, int]:
        now = to_ts(self.now())
        row = self.db.execute(
            "SELECT COALESCE(SUM(visible_at <= ?), 0), COALESCE(SUM(visible_at > ?), 0)"
            " FROM sq_message WHERE queue = ?",
            (now, now, queue),
        ).fetchone()
        poison = self.db.execute(
            "SELECT COUNT(*) FROM sq_message WHERE queue = ?", (poison_queue(queue),)
        ).fetchone()[0]
        return {"visible": row[0], "invisible": row[1], "poison": poison}

    def peek(self, queue: str, limit: int = 100) -> list[QueueMessage]:
        rows = self.db.execute(
            "SELECT seq FROM sq_message WHERE queue = ? ORDER BY seq LIMIT ?", (queue, limit)
        ).fetchall()
        return self._load([seq for (seq,) in rows])

    def queues(self) -> list[str]:
        """Queues that bindings use or that hold messages (poison queues included)."""
        stored = {q for (q,) in self.db.execute("SELECT DISTINCT queue FROM sq_message")}
        return sorted(stored | self._declared)
