"""The broker's SQLite file: one connection, WAL, every state change in one transaction.

The broker keeps its own file (``broker.sqlite`` in the data dir) so its write rate never
contends with the orchestration store. ``synchronous=NORMAL`` under WAL survives a process kill
(kill -9) without losing committed work; only a power cut could lose the last transactions.

Times are stored as devhost stores them everywhere (``devhost._sqlite.to_ts``: fixed-width UTC
ISO text). ``PRAGMA user_version`` is the broker schema's version: 0 is the layout of devhost
before that (times as epoch seconds in REAL columns), which :func:`connect` converts once.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from devhost._sqlite import FIRST, LAST, to_ts, transaction
from devhost._sqlite import connect as open_database
from devhost.messaging.errors import BrokerFileError

__all__ = ["SCHEMA_VERSION", "connect", "transaction"]

SCHEMA_VERSION = 1

# Each table's DDL, by name, so that an upgrade can build the new table beside the old one.
_TABLES = {
    "sb_message": """
CREATE TABLE IF NOT EXISTS {name} (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    entity          TEXT NOT NULL,      -- queue name or topic/Subscriptions/sub
    dead_letter     INTEGER NOT NULL DEFAULT 0,
    message_id      TEXT NOT NULL,
    session_id      TEXT,
    body            BLOB NOT NULL,
    props           TEXT NOT NULL,      -- JSON: system and application properties
    enqueued_at     TEXT NOT NULL,      -- times: devhost._sqlite.to_ts
    scheduled_at    TEXT,               -- scheduledEnqueueTime, when one was given
    visible_at      TEXT NOT NULL,
    expires_at      TEXT,
    delivery_count  INTEGER NOT NULL DEFAULT 0,
    lock_token      TEXT,
    locked_until    TEXT,
    lock_owner      TEXT,               -- broker instance that holds the lock
    dl_reason       TEXT,
    dl_description  TEXT,
    dl_source       TEXT
)""",
    "sb_duplicate": """
CREATE TABLE IF NOT EXISTS {name} (
    entity      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (entity, message_id)
)""",
    "sq_message": """
CREATE TABLE IF NOT EXISTS {name} (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    queue          TEXT NOT NULL,
    body           BLOB NOT NULL,
    inserted_at    TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    visible_at     TEXT NOT NULL,
    dequeue_count  INTEGER NOT NULL DEFAULT 0,
    pop_receipt    TEXT,
    lock_owner     TEXT
)""",
    # Written as text (the same format) from the start: no upgrade needed.
    "timer_status": """
CREATE TABLE IF NOT EXISTS {name} (
    function      TEXT PRIMARY KEY,
    last          TEXT,
    next          TEXT NOT NULL,
    last_updated  TEXT NOT NULL
)""",
}

_INDEXES = """
CREATE INDEX IF NOT EXISTS sb_message_order ON sb_message (entity, dead_letter, seq);
CREATE INDEX IF NOT EXISTS sb_message_session ON sb_message (entity, dead_letter, session_id, seq);
CREATE INDEX IF NOT EXISTS sb_message_visible ON sb_message (entity, dead_letter, visible_at);
CREATE INDEX IF NOT EXISTS sb_message_token ON sb_message (lock_token);
CREATE INDEX IF NOT EXISTS sb_message_expiry
    ON sb_message (entity, expires_at) WHERE expires_at IS NOT NULL;
-- When the next lock runs out (next_visible): without it, every message of the entity is read.
CREATE INDEX IF NOT EXISTS sb_message_locked
    ON sb_message (entity, dead_letter, locked_until) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS sq_message_order ON sq_message (queue, seq);
CREATE INDEX IF NOT EXISTS sq_message_visible ON sq_message (queue, visible_at);
CREATE INDEX IF NOT EXISTS sq_message_expiry ON sq_message (queue, expires_at)
"""

_Stored = str | bytes | int | float | None  # what a SQLite value reads as in Python

# The time columns that version 0 stored as epoch seconds.
_EPOCH_COLUMNS = {
    "sb_message": ("enqueued_at", "scheduled_at", "visible_at", "expires_at", "locked_until"),
    "sb_duplicate": ("expires_at",),
    "sq_message": ("inserted_at", "expires_at", "visible_at"),
}


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create) the broker file with its schema, upgrading a file of an older devhost.

    Raises BrokerFileError, naming the file, for a file of a newer devhost or one that is not
    a SQLite database.
    """
    try:
        db = open_database(path, busy_timeout_ms=5000)
    except sqlite3.DatabaseError as error:
        raise BrokerFileError(f"{path}: cannot be opened as the broker file: {error}") from error
    try:
        if _version(db) != SCHEMA_VERSION:  # a current file is opened without a write
            with transaction(db):
                _prepare(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION, inside the caller's transaction (which also holds
    off a second devhost opening the same file: it finds the work done)."""
    version = _version(db)
    if version > SCHEMA_VERSION:
        raise BrokerFileError(
            f"{path}: written by a newer devhost (broker schema version {version}; this "
            f"devhost reads version {SCHEMA_VERSION} and older). Run that devhost, or delete "
            "the file to start with empty queues."
        )
    if version == SCHEMA_VERSION:
        return
    existing = {
        name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    for name, ddl in _TABLES.items():
        if name in existing and name in _EPOCH_COLUMNS:
            _rebuild_with_text_times(db, name)
        else:
            db.execute(ddl.format(name=name))
    for statement in _INDEXES.split(";"):
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _rebuild_with_text_times(db: sqlite3.Connection, name: str) -> None:
    """Copy a version-0 table into one with TEXT time columns, then put it in its place.

    SQLite cannot change a column's declared type. Updating the values in place would work
    (text that is not a number stays text in a REAL column) but would leave REAL in the
    schema, and REAL affinity on every later write: the table is rebuilt instead, as SQLite's
    ALTER TABLE documentation describes. Sequence numbers are kept, and so is the
    AUTOINCREMENT high-water mark, so that no number of a deleted message is handed out again.
    """
    db.create_function("devhost_epoch_ts", 1, _epoch_to_ts, deterministic=True)
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({name})")]
    converted = [f"devhost_epoch_ts({c})" if c in _EPOCH_COLUMNS[name] else c for c in columns]
    high = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
    db.execute(_TABLES[name].format(name=f"{name}_upgrade"))
    db.execute(
        f"INSERT INTO {name}_upgrade ({', '.join(columns)})"
        f" SELECT {', '.join(converted)} FROM {name}"
    )
    db.execute(f"DROP TABLE {name}")  # and its indexes, built again on the new table
    db.execute(f"ALTER TABLE {name}_upgrade RENAME TO {name}")
    if high is not None:
        db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
        db.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?, MAX(?, COALESCE(MAX(seq), 0))"
            f" FROM {name}",
            (name, high[0]),
        )


def _epoch_to_ts(value: _Stored) -> _Stored:
    """A version-0 time (epoch seconds) as text; a time no datetime holds (an older devhost
    let a time to live run past the year 9999) becomes the nearest one. Anything else (a
    hand-edited value) is kept, for the reader to dead-letter as unreadable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        moment = LAST if value > 0 else FIRST
    return to_ts(moment)
