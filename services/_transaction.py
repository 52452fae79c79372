"""One unit of work against the app database, run again when it loses a race.

Services write a state change and the audit event that records it in one transaction. Two
writers of the same key (a vote and a retry of it, two appends at one stream version) collide
on a unique key, or the database picks one as a deadlock victim; the loser's whole unit runs
again, and then reads what the winner committed (a replay, or a conflict it can name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

__all__ = ["in_transaction"]

T = TypeVar("T")
_ATTEMPTS = 5


def in_transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = _ATTEMPTS) -> T:
    """``work(conn)`` in one transaction, committed when it returns; run again (up to
    ``attempts`` times) after a key collision or a lock/deadlock error, else re-raised."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except (IntegrityError, OperationalError):
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
