"""A broker file as devhost wrote it before its schema had a version (user_version 0): the
same tables with every time as epoch seconds in a REAL column. Kept verbatim here (not
derived from the code) so that the upgrade is tested against what old devhosts really wrote.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_V0", "epoch", "sb_row", "sq_row", "write_v0"]

SCHEMA_V0 = """
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


def epoch(moment: datetime) -> float:
    """A time as the old devhost stored it."""
    return moment.timestamp()


def sb_row(seq: int, entity: str, body: str, enqueued: float, **columns: Any) -> dict[str, Any]:
    """One ``sb_message`` row as the old ``_insert`` wrote it (visible at its enqueue time
    unless ``visible_at`` is given); ``props`` is given as a dict."""
    row: dict[str, Any] = {
        "seq": seq,
        "entity": entity,
        "message_id": body,
        "body": body.encode(),
        "props": {"application_properties": {}},
        "enqueued_at": enqueued,
        "visible_at": enqueued,
        **columns,
    }
    row["props"] = json.dumps(row["props"])
    return row


def sq_row(seq: int, queue: str, body: str, inserted: float, **columns: Any) -> dict[str, Any]:
    """One ``sq_message`` row as the old ``put`` wrote it (seven days to live)."""
    return {
        "seq": seq,
        "id": f"id-{seq}",
        "queue": queue,
        "body": body.encode(),
        "inserted_at": inserted,
        "expires_at": inserted + 7 * 86400,
        "visible_at": inserted,
        **columns,
    }


def _insert(db: sqlite3.Connection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        names = ", ".join(row)
        marks = ", ".join("?" * len(row))
        db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


def write_v0(
    path: Path,
    *,
    sb: Sequence[dict[str, Any]] = (),
    duplicates: Sequence[tuple[str, str, float]] = (),
    sq: Sequence[dict[str, Any]] = (),
    timers: Sequence[tuple[str, str | None, str, str]] = (),
    sequences: dict[str, int] | None = None,
) -> None:
    """Write an old-format broker file; ``sequences`` sets the AUTOINCREMENT high-water marks
    (higher than the rows' own when messages were completed since)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")  # as the old devhost opened it
    db.executescript(SCHEMA_V0)
    _insert(db, "sb_message", sb)
    db.executemany("INSERT INTO sb_duplicate VALUES (?, ?, ?)", list(duplicates))
    _insert(db, "sq_message", sq)
    db.executemany("INSERT INTO timer_status VALUES (?, ?, ?, ?)", list(timers))
    for name, high in (sequences or {}).items():
        db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, high))
    db.commit()
    db.close()
