"""The broker's SQLite file: one connection, WAL, every state change in one transaction.

The broker keeps its own file (``broker.sqlite`` in the data dir) so its write rate never
contends with the orchestration store. ``synchronous=NORMAL`` under WAL survives a process kill
(kill -9) without losing committed work; only a power cut could lose the last transactions.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from devhost._sqlite import connect as open_database
from devhost._sqlite import transaction

__all__ = ["LAST_EPOCH", "connect", "from_epoch", "iso", "to_epoch", "transaction"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sb_message (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    entity          TEXT NOT NULL,      -- queue name or topic/Subscriptions/sub
    dead_letter     INTEGER NOT NULL DEFAULT 0,
    message_id      TEXT NOT NULL,
    session_id      TEXT,
    body            BLOB NOT NULL,
    props           TEXT NOT NULL,      -- JSON: system and application properties
    enqueued_at     REAL NOT NULL,
    scheduled_at    REAL,               -- scheduledEnqueueTime, when one was given
    visible_at      REAL NOT NULL,
    expires_at      REAL,
    delivery_count  INTEGER NOT NULL DEFAULT 0,
    lock_token      TEXT,
    locked_until    REAL,
    lock_owner      TEXT,               -- broker instance that holds the lock
    dl_reason       TEXT,
    dl_description  TEXT,
    dl_source       TEXT
);
CREATE INDEX IF NOT EXISTS sb_message_order ON sb_message (entity, dead_letter, seq);
CREATE INDEX IF NOT EXISTS sb_message_session ON sb_message (entity, dead_letter, session_id, seq);
CREATE INDEX IF NOT EXISTS sb_message_visible ON sb_message (entity, dead_letter, visible_at);
CREATE INDEX IF NOT EXISTS sb_message_token ON sb_message (lock_token);
CREATE INDEX IF NOT EXISTS sb_message_expiry
    ON sb_message (entity, expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS sb_duplicate (
    entity      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    expires_at  REAL NOT NULL,
    PRIMARY KEY (entity, message_id)
);
CREATE TABLE IF NOT EXISTS sq_message (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    queue          TEXT NOT NULL,
    body           BLOB NOT NULL,
    inserted_at    REAL NOT NULL,
    expires_at     REAL NOT NULL,
    visible_at     REAL NOT NULL,
    dequeue_count  INTEGER NOT NULL DEFAULT 0,
    pop_receipt    TEXT,
    lock_owner     TEXT
);
CREATE INDEX IF NOT EXISTS sq_message_order ON sq_message (queue, seq);
CREATE INDEX IF NOT EXISTS sq_message_visible ON sq_message (queue, visible_at);
CREATE INDEX IF NOT EXISTS sq_message_expiry ON sq_message (queue, expires_at);
CREATE TABLE IF NOT EXISTS timer_status (
    function      TEXT PRIMARY KEY,
    last          TEXT,
    next          TEXT NOT NULL,
    last_updated  TEXT NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create) the broker file with its schema."""
    db = open_database(path, busy_timeout_ms=5000)
    db.executescript(_SCHEMA)
    return db


def to_epoch(moment: datetime) -> float:
    return moment.timestamp()


# The moments a datetime can hold; a stored time outside them (an older devhost let a time to
# live run past the year 9999) reads as the nearest one instead of failing every receive.
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)
LAST_EPOCH = _LAST.timestamp()


def from_epoch(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return _LAST if seconds > 0 else _FIRST


def iso(seconds: float | None) -> str | None:
    """UTC ISO 8601 with a ``Z``, the form azure.functions parses in trigger metadata."""
    if seconds is None:
        return None
    return from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
