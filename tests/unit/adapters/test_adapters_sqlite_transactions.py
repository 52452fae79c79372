"""The app database on SQLite: reads never take the write lock, writers queue without sleeping.

Writers here run with SQLite's busy timeout at 0 (``tests/support/sqlite_writers``), so any
writer that reached SQLite while another held the lock would fail at once: every count that
comes out exact proves the writers queued on our lock, in threads and in processes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from adapters.sql import create_sql_engine
from tests.support.sqlite_writers import count, hold_the_write_lock, impatient_engine, increment

GUARD_S = 60  # a hang guard for threads that must finish, not a timing assertion


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "app.sqlite"


def statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split(maxsplit=1)[0] if statement.startswith("SELECT") else statement)

    return seen


def test_a_read_begins_deferred_and_a_write_immediate(db: Path) -> None:
    engine = impatient_engine(db)
    seen = statements(engine)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
        conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
    assert seen == ["BEGIN", "SELECT", "SELECT"]
    seen.clear()
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
        conn.execute(sa.text("UPDATE counter SET n = 1"))
    assert seen == ["BEGIN IMMEDIATE", "SELECT", "UPDATE counter SET n = 1"]
    seen.clear()
    # After a commit in a connect() block, the next statement begins a read again.
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE counter SET n = 2"))
        conn.commit()
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 2
    assert seen == ["BEGIN", "UPDATE counter SET n = 2", "BEGIN", "SELECT"]


@contextlib.contextmanager
def writer_holding_the_lock(engine: sa.Engine, n: int) -> Iterator[None]:
    """Another thread sets the counter to ``n`` and keeps its write transaction open."""
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n})
            holding.set()
            done.wait(GUARD_S)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    assert holding.wait(GUARD_S)
    try:
        yield
    finally:
        done.set()
        thread.join(GUARD_S)


def test_reads_go_on_while_a_writer_holds_the_lock(db: Path) -> None:
    engine = impatient_engine(db, lock_timeout=GUARD_S)
    with writer_holding_the_lock(engine, 5):
        # The reader sees the last committed value, at once, with busy timeout 0.
        assert count(engine) == 0
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT n FROM counter"))
            assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 0
    assert count(engine) == 5


def test_writers_of_one_process_queue_before_sqlite(db: Path) -> None:
    impatient_engine(db).dispose()
    threads = [threading.Thread(target=increment, args=(db, 25)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD_S)
    assert count(impatient_engine(db)) == 200


def test_writers_of_several_processes_queue_on_the_lock_file(db: Path) -> None:
    impatient_engine(db).dispose()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=increment, args=(db, 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    increment(db, 40)  # and this process at the same time
    for worker in workers:
        worker.join(GUARD_S)
        assert worker.exitcode == 0
    assert count(impatient_engine(db)) == 160
    assert Path(f"{db}.writer-lock").is_file()


def test_a_killed_writer_process_frees_the_lock(db: Path) -> None:
    engine = impatient_engine(db, lock_timeout=GUARD_S)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    holder = context.Process(target=hold_the_write_lock, args=(db, theirs), daemon=True)
    holder.start()
    assert ours.poll(GUARD_S) and ours.recv() == "holding"
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(GUARD_S)
    with engine.begin() as conn:  # the kernel let go of its lock; SQLite rolled it back
        conn.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert count(engine) == 1


def test_a_failed_write_lets_go_of_the_lock(db: Path) -> None:
    engine = impatient_engine(db, lock_timeout=5)

    def fail_halfway() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE counter SET n = 9"))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_halfway()
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO counter VALUES (NULL)"))
    with engine.begin() as conn:  # would wait 5 s and fail if either kept the lock
        conn.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert count(engine) == 1


def test_a_closed_connection_lets_go_of_the_lock(db: Path) -> None:
    engine = impatient_engine(db, lock_timeout=5)
    conn = engine.connect()
    conn.begin()
    conn.execute(sa.text("UPDATE counter SET n = 3"))
    conn.invalidate()  # the DBAPI connection is closed mid-transaction
    with engine.begin() as again:
        again.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert count(engine) == 1


def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(db: Path) -> None:
    engine = impatient_engine(db, lock_timeout=0.2)
    with (
        writer_holding_the_lock(engine, 1),
        pytest.raises(OperationalError, match="database is locked"),
        engine.begin(),
    ):
        pass
    with engine.begin() as conn:  # and nothing was left held by the refused one
        conn.execute(sa.text("UPDATE counter SET n = n + 1"))
    assert count(engine) == 2


def test_engines_on_one_file_share_its_lock(db: Path) -> None:
    first, second = impatient_engine(db), impatient_engine(db)
    threads = [threading.Thread(target=lambda e=e: _bump(e, 30)) for e in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD_S)
    assert count(first) == 120


def _bump(engine: sa.Engine, times: int) -> None:
    for _ in range(times):
        with engine.begin() as conn:
            n = conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
            conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})


def test_other_backends_get_no_sqlite_transaction_handling() -> None:
    memory = create_sql_engine("sqlite://")
    assert not memory.dispatch.begin
    with memory.begin() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
