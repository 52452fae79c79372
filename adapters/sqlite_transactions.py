"""SQLite transactions for a SQLAlchemy engine: reads never wait, writers queue without sleeping.

The contract for code using such an engine (the app database, locally):

- ``with engine.connect() as conn: ...`` **reads**. SQLAlchemy begins its transaction
  implicitly at the first statement; that becomes a deferred ``BEGIN``, which in WAL mode
  reads a snapshot without taking or waiting for the write lock.
- ``with engine.begin() as conn: ...`` **writes** (and may read first: read, decide, write is
  safe in one such block). The explicit begin waits its turn on the database's writer lock,
  then runs ``BEGIN IMMEDIATE``; the lock is released when the transaction commits or rolls
  back. A write in a ``connect()`` block works but is not queued (SQLite's busy handler then
  decides, and it fails at once if another writer committed since the block's first read).

Why: SQLite lets one writer in at a time, and a waiting writer sleeps in SQLite's busy
handler (1 ms, 2 ms, ... up to 100 ms at a time), so under load a commit of 0.1 ms waited tens
of milliseconds; and when every ``connect()`` read also began with ``BEGIN IMMEDIATE``, reads
queued behind writes too. Here the threads of a process queue on a ``threading.Lock`` and the
processes sharing the file (Functions worker processes) on an ``flock`` of a lock file beside
it (``<file>.writer-lock``), which the kernel hands to the next waiter at once and frees if
its holder dies. A writer that waits longer than the timeout gets the error SQLite would give
("database is locked"), so callers that retry on ``OperationalError`` still do.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

__all__ = ["WriterLock", "configure_transactions", "connection_factory", "writer_lock"]

# Set by a statement that finds no transaction open: the begin it causes is SQLAlchemy's
# implicit one (a read), not an explicit ``begin()`` (a write).
_STATEMENT_BEGINS = "sqlite_transactions.statement_begins"


class WriterLock:
    """One writer at a time on one SQLite file, across the threads and processes using it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float) -> bool:
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            # Only one thread of this process gets here at a time. Another process's writer
            # holds it for one transaction; a dead one's lock is freed by the kernel.
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return True

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


def writer_lock(path: Path) -> WriterLock:
    """The process's lock for the database file at ``path`` (one per file, shared by engines)."""
    key = os.path.realpath(path)
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(Path(key))
        return lock


class _Connection(sqlite3.Connection):
    """A pysqlite connection that lets go of the writer lock when its transaction ends."""

    holding: WriterLock | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go(closed=True)

    def _let_go(self, closed: bool = False) -> None:
        # A failed COMMIT leaves the transaction open (SQLAlchemy rolls it back next).
        if self.holding is not None and (closed or not self.in_transaction):
            lock, self.holding = self.holding, None
            lock.release()


def connection_factory() -> type[sqlite3.Connection]:
    """The ``factory`` connect argument that ``configure_transactions`` needs."""
    return _Connection


def configure_transactions(engine: Engine, path: Path, timeout: float) -> None:
    """Reads on a deferred BEGIN, writes queued on ``path``'s writer lock (see the module)."""
    lock = writer_lock(path)

    @event.listens_for(engine, "before_execute")
    def _note_statement(conn: Any, *_: Any) -> None:
        if not conn.in_transaction():
            conn.info[_STATEMENT_BEGINS] = True

    @event.listens_for(engine, "after_execute")
    def _statement_done(conn: Any, *_: Any) -> None:
        conn.info.pop(_STATEMENT_BEGINS, None)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.info.pop(_STATEMENT_BEGINS, False):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi = conn.connection.dbapi_connection
        if not isinstance(dbapi, _Connection):
            raise TypeError(
                "configure_transactions needs connect_args factory=connection_factory()"
            )
        if not lock.acquire(timeout):
            raise OperationalError(
                "BEGIN IMMEDIATE",
                None,
                sqlite3.OperationalError(
                    f"database is locked: no turn to write {path} in {timeout:g} s"
                ),
            )
        dbapi.holding = lock
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if dbapi.holding is lock:  # not let go already by a rollback on the way out
                dbapi.holding = None
                lock.release()
            raise
