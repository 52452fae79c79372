"""Writers for the SQLite transaction tests, importable by spawned processes.

Every engine here has SQLite's busy timeout at 0: a writer that reached SQLite while another
held the write lock would fail at once with "database is locked", so a run without errors
proves the writers queued on ``adapters.sqlite_transactions``' lock instead.
"""

from __future__ import annotations

import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.sql import create_sql_engine

__all__ = ["count", "hold_the_write_lock", "impatient_engine", "increment"]


def impatient_engine(path: Path, lock_timeout: float = 30.0) -> sa.Engine:
    """The app's SQLite engine, with SQLite's own busy wait switched off."""
    engine = create_sql_engine(f"sqlite:///{path}", lock_timeout=lock_timeout)

    @sa.event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")

    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL)"))
        if conn.execute(sa.text("SELECT count(*) FROM counter")).scalar_one() == 0:
            conn.execute(sa.text("INSERT INTO counter VALUES (0)"))
    return engine


def increment(path: Path, times: int) -> None:
    """Read, decide, write ``times`` times, each in one ``engine.begin()``."""
    engine = impatient_engine(path)
    for _ in range(times):
        with engine.begin() as conn:
            n = conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
            conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})
    engine.dispose()


def count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT n FROM counter")).scalar_one())


def hold_the_write_lock(path: Path, ready: Connection) -> None:
    """Take the write lock, say so, and keep it until killed."""
    engine = impatient_engine(path)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE counter SET n = n + 1000"))
        ready.send("holding")
        time.sleep(3600)
