"""The timer trigger: fire a function on its schedule, on the host clock.

Like the Functions host, it keeps a schedule status per function (last and next occurrence) in
the broker file. At start, if the recorded next occurrence passed while devhost was down (and
``useMonitor`` is not false), the function runs once at once with ``IsPastDue`` true and, as
in the host, ``ScheduleStatus.Next`` the occurrence it missed; with ``runOnStartup`` it runs
once at start. Schedules that fire more than once a minute are never monitored (the host's
rule): nothing is recorded, so they have no past-due run. Their ``TimerRequest`` still carries
``Last`` and ``Next`` of this run where the host sends no status: it is the one way a function
sees the tick time of the virtual clock. Ticks never overlap. With the virtual clock each tick
is an ordered wakeup, so advancing a minute on a 15-second schedule fires exactly four ticks,
each seeing the clock at its own time.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime
from typing import Any

from devhost._sqlite import from_ts, to_ts
from devhost.messaging._db import transaction
from devhost.messaging._host import HostLike, invoke, resolve
from devhost.messaging.datum import timer_trigger
from devhost.messaging.errors import ConfigError
from devhost.schedule import ScheduleError, monitored, parse_schedule

__all__ = ["TimerListener"]

log = logging.getLogger("devhost.messaging")


def _parse_iso(text: str | None) -> datetime | None:
    """A recorded status time; one that cannot be read (a hand-edited row) counts as none,
    so the schedule starts afresh instead of the timer failing."""
    try:
        return None if text is None else from_ts(text)
    except ValueError:
        return None


class TimerListener:
    """Runs one timer-triggered function."""

    def __init__(self, host: HostLike, fn: Any, db: sqlite3.Connection) -> None:
        self.host = host
        self.fn = fn
        self.db = db
        self.clock = host.clock
        where = f"function {fn.name}: timer trigger schedule"
        try:
            self.schedule = parse_schedule(
                resolve(fn.trigger.get("schedule"), host.settings, where)
            )
        except ScheduleError as error:
            raise ConfigError(f"{where}: {error}") from error
        self.run_on_startup = bool(fn.trigger.get("runOnStartup", False))
        self.use_monitor = fn.trigger.get("useMonitor", True) is not False and monitored(
            self.schedule
        )
        self.next: datetime | None = None
        self.firing = False
        self._task: asyncio.Task[None] | None = None

    def busy(self) -> bool:
        """A tick is running or due now (a tick in the future is not work)."""
        return self.firing or (self.next is not None and self.next <= self.clock.now())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"timer {self.fn.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.next = None

    def _status(self) -> tuple[datetime | None, datetime | None]:
        row = self.db.execute(
            "SELECT last, next FROM timer_status WHERE function = ?", (self.fn.name,)
        ).fetchone()
        return (None, None) if row is None else (_parse_iso(row[0]), _parse_iso(row[1]))

    def _record(self, last: datetime | None, following: datetime) -> None:
        if not self.use_monitor:
            return
        with transaction(self.db):
            self.db.execute(
                "INSERT OR REPLACE INTO timer_status (function, last, next, last_updated)"
                " VALUES (?, ?, ?, ?)",
                (
                    self.fn.name,
                    last and to_ts(last),
                    to_ts(following),
                    to_ts(self.clock.now()),
                ),
            )

    async def _fire(
        self,
        occurrence: datetime,
        last: datetime | None,
        past_due: bool,
        scheduled: datetime | None = None,
    ) -> None:
        """Invoke at ``occurrence``; ``scheduled`` is the status's ``Next`` when it differs
        (a past-due run reports the occurrence it missed)."""
        self.firing = True
        try:
            await invoke(
                self.host,
                self.fn,
                timer_trigger(
                    past_due=past_due,
                    last=last,
                    occurrence=scheduled or occurrence,
                    updated=self.clock.now(),
                ),
            )
        except Exception as error:  # a failed tick is logged; the schedule goes on
            log.warning(
                "timer function %s failed at %s: %s", self.fn.name, occurrence.isoformat(), error
            )
        finally:
            self.firing = False

    async def _run(self) -> None:
        now = self.clock.now()
        last, recorded_next = self._status() if self.use_monitor else (None, None)
        following = self.schedule.next_after(now)
        if self.use_monitor and recorded_next is not None and recorded_next <= now:
            await self._fire(now, last, past_due=True, scheduled=recorded_next)
            last = now
            self._record(now, following)
        elif self.run_on_startup:
            await self._fire(now, last, past_due=False)
            last = now
            self._record(now, following)
        elif recorded_next is None or recorded_next > following:
            self._record(last, following)
        self.next = following
        while True:
            await self.clock.sleep_until(self.next)
            occurrence = self.next
            await self._fire(occurrence, last, past_due=False)
            last = occurrence
            # Virtual time walks every tick; on the real clock a stall skips missed ticks
            # instead of firing a burst, as the Functions host does.
            after = occurrence if self.clock.is_virtual else max(occurrence, self.clock.now())
            following = self.schedule.next_after(after)
            self._record(occurrence, following)
            self.next = following
