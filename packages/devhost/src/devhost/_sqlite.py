"""SQLite as devhost uses it everywhere: WAL, explicit transactions, one file per concern, and
one timestamp format in every file.

Every moment devhost stores (durable store, broker) is fixed-width UTC ISO 8601 text,
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (:func:`to_ts`): text order is time order, so comparisons,
``ORDER BY``, ``MIN`` and indexes work on the column as stored, and a row reads the same in
any SQLite browser. Arithmetic on moments is done in Python (:func:`later` saturates at the
last moment a ``datetime`` holds instead of overflowing).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["FIRST", "LAST", "as_utc", "connect", "from_ts", "later", "to_ts", "transaction"]

# The moments a datetime can hold: what a stored time outside them reads as.
FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)


def connect(path: Path, busy_timeout_ms: int = 30000) -> sqlite3.Connection:
    """Open (and create) a database file in autocommit mode, so ``transaction`` owns
    BEGIN/COMMIT. WAL lets readers go on while one writer commits; ``synchronous=NORMAL`` in
    WAL mode keeps every commit across a process crash (kill -9), not across a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: all or nothing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@functools.lru_cache(maxsize=4096)
def to_ts(value: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order in SQL."""
    # This runs for every event and row written, mostly with the same few moments (an episode
    # batch shares its "now"; the virtual clock stands still): cached, and isoformat (C, with
    # the "+00:00" of UTC made a "Z"), twice as fast as formatting the fields by hand and
    # several times faster than strftime.
    return as_utc(value).isoformat(timespec="microseconds")[:-6] + "Z"


def from_ts(text: str) -> datetime:
    """The moment :func:`to_ts` wrote; ValueError for anything else (a hand-edited row)."""
    # fromisoformat is many times faster than strptime, but also reads other shapes (a bare
    # date, an offset): the fixed positions of the separators hold it to the one format.
    if (
        not isinstance(text, str)
        or len(text) != 27
        or text[26] != "Z"
        or text[19] != "."
        or text[10] != "T"
    ):
        raise ValueError(f"expected a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ, got {text!r:.80}")
    return datetime.fromisoformat(text)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; one whose UTC time falls outside what a datetime holds (the year
    9999 at a negative offset) is the last (first) moment instead of an OverflowError."""
    if moment.tzinfo is UTC:
        return moment
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return LAST if moment.year > 1 else FIRST


def later(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, or the last (first) moment a datetime holds where that overflows."""
    try:
        return moment + delta
    except OverflowError:
        return LAST if delta > timedelta(0) else FIRST
