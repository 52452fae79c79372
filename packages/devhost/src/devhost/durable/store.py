"""The SQLite store behind devhost's durable engine.

One file in WAL mode under the data dir. Orchestration state is event-sourced: ``history``
holds each instance's events as the SDK sees them, ``inbox`` the messages not yet delivered
(activity results, timers with a future ``visible_at``, external events, control messages),
``work`` the activities to run, and ``entities``/``entity_inbox`` the durable entities. Every
episode is committed in one transaction, so a kill -9 loses at most work that then runs again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._sqlite import connect, transaction

__all__ = ["Store", "partition_of"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    parent_id TEXT,
    parent_task INTEGER,
    execution_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created);
CREATE INDEX IF NOT EXISTS instances_status ON instances(status);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    event TEXT NOT NULL,
    replayed INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (instance_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    kind TEXT NOT NULL,
    name TEXT,
    event TEXT NOT NULL,
    visible_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_instance ON inbox(instance_id, id);
CREATE INDEX IF NOT EXISTS inbox_visible ON inbox(visible_at);
CREATE TABLE IF NOT EXISTS waiting (
    instance_id TEXT NOT NULL,
    name TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (instance_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    input TEXT,
    leased INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id TEXT NOT NULL,
    message TEXT NOT NULL,
    visible_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_inbox_entity ON entity_inbox(entity_id, id);
"""


def partition_of(instance_id: str, partitions: int) -> int:
    """Which of ``partitions`` episode workers runs an instance (stable across restarts)."""
    return zlib.crc32(instance_id.encode()) % partitions


class Store:
    """Connections per thread to one SQLite file; ``tx()`` is one atomic write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # One writer at a time, queued here: SQLite's own busy handler polls with sleeps of
        # up to 100 ms, which leaves the CPU idle while writers wait for each other.
        self._write_lock = threading.Lock()
        # The same between processes (episode workers share the file): a lock file that the
        # kernel hands to the next waiter at once, and releases if its holder dies.
        self._lock_fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        self.conn().executescript(_SCHEMA)

    def conn(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            db.row_factory = sqlite3.Row
            # Each engine thread has its own connection, and another connection's commit
            # makes SQLite drop this one's page cache: reading the file through a memory map
            # (and a larger cache for what stays valid) keeps re-reads cheap.
            db.execute("PRAGMA mmap_size=268435456")
            db.execute("PRAGMA cache_size=-65536")
            db.create_function("partition_of", 2, partition_of, deterministic=True)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                with transaction(self.conn()) as db:
                    yield db
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                # A connection owned by a thread that is gone: closing is best effort.
                with contextlib.suppress(sqlite3.ProgrammingError):
                    db.close()
            self._all.clear()
        self._local = threading.local()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def integrity_check(self) -> str:
        return str(self.conn().execute("PRAGMA integrity_check").fetchone()[0])
