"""The tick cursor: the last tick the schedules timer handled, kept in the app database.

The Functions host keeps no schedule status for a timer more frequent than once a minute (the
default ``*/15 * * * * *``), so the app remembers where it got to itself; that is what lets a
tick after an outage see the whole outage. Taking a tick is a compare-and-set: of two hosts
handling the same tick (a scale-out overlap), one wins and the other enqueues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.records.tables import schedule_ticks

__all__ = ["TakenTick", "take_tick"]


@dataclass(frozen=True)
class TakenTick:
    """A tick this caller owns; ``previous`` is the tick before it (None on the first ever)."""

    tick: datetime
    previous: datetime | None


def take_tick(engine: Engine, timer: str, tick: datetime, now: datetime) -> TakenTick | None:
    """Move the cursor of ``timer`` to ``tick``; None when it is already there or beyond."""
    table = schedule_ticks
    try:
        with engine.begin() as conn:
            previous = conn.execute(
                sa.select(table.c.last_tick).where(table.c.timer == timer)
            ).scalar_one_or_none()
            if previous is None:
                conn.execute(sa.insert(table).values(timer=timer, last_tick=tick, updated_at=now))
                return TakenTick(tick, None)
            if previous >= tick:
                return None
            moved = conn.execute(
                sa.update(table)
                .where(table.c.timer == timer, table.c.last_tick == previous)
                .values(last_tick=tick, updated_at=now)
            )
            return TakenTick(tick, previous) if moved.rowcount == 1 else None
    except IntegrityError:
        return None  # another host inserted the first cursor at the same moment
