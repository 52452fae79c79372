"""Timer-trigger schedules: six-field NCRONTAB and TimeSpan, as the Functions host reads them.

A schedule answers one question, "when is the first occurrence strictly after ``t``?", so the
timer listener can walk ticks in order on any clock (real or virtual). NCRONTAB expressions are
``{second} {minute} {hour} {day} {month} {day-of-week}``; TimeSpan schedules (``hh:mm:ss`` or
``d.hh:mm:ss``) fire every interval, aligned to the start of the UTC day as the host does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from croniter import croniter

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
    "ScheduleError",
    "monitored",
    "parse_schedule",
    "parse_timespan",
]


class ScheduleError(ValueError):
    """A schedule string that is neither a six-field NCRONTAB nor a TimeSpan."""


class Schedule(Protocol):
    """Something that yields occurrences; ``text`` is the schedule as written."""

    @property
    def text(self) -> str:
        """The schedule as written."""
        ...

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (aware UTC)."""
        ...


@dataclass(frozen=True)
class CronSchedule:
    """A six-field NCRONTAB expression (seconds first), evaluated in UTC.

    Day-of-month and day-of-week must both match (NCRONTAB's rule), unlike classic cron's "either".
    """

    text: str

    def next_after(self, moment: datetime) -> datetime:
        it = croniter(self.text, _utc(moment), second_at_beginning=True, day_or=False)
        result: datetime = it.get_next(datetime)
        return result.astimezone(UTC)


@dataclass(frozen=True)
class IntervalSchedule:
    """A TimeSpan schedule: every ``interval``, counted from midnight UTC of each occurrence's day.

    The Functions host adds the interval to the last occurrence; anchoring to midnight gives the
    same ticks for intervals that divide a day and keeps restarts from shifting the grid.
    """

    text: str
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        moment = _utc(moment)
        if self.interval >= timedelta(days=1):
            return moment + self.interval
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = moment - midnight
        steps = elapsed // self.interval + 1
        return midnight + steps * self.interval


_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})$")


def parse_timespan(text: str) -> timedelta:
    """Parse a .NET TimeSpan ``[d.]hh:mm:ss``; raise ``ScheduleError`` naming what was expected."""
    match = _TIMESPAN.match(text.strip())
    if not match:
        raise ScheduleError(f"{text!r} is not a TimeSpan: expected [d.]hh:mm:ss")
    hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ScheduleError(f"{text!r} is not a TimeSpan: hours 0-23, minutes and seconds 0-59")
    return timedelta(days=int(match["days"] or 0), hours=hours, minutes=minutes, seconds=seconds)


def parse_schedule(text: str) -> Schedule:
    """Read a timer trigger's ``schedule``: six-field NCRONTAB, else TimeSpan."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("schedule is empty: expected a six-field NCRONTAB or hh:mm:ss")
    stripped = text.strip()
    fields = stripped.split()
    if len(fields) == 6:
        if not croniter.is_valid(stripped, second_at_beginning=True):
            raise ScheduleError(
                f"schedule {stripped!r} is not a valid NCRONTAB expression: expected "
                "'{second} {minute} {hour} {day} {month} {day-of-week}'"
            )
        return CronSchedule(stripped)
    if len(fields) == 1 and ":" in stripped:
        interval = parse_timespan(stripped)
        if interval <= timedelta(0):
            raise ScheduleError(f"schedule {stripped!r}: a TimeSpan schedule must be positive")
        return IntervalSchedule(stripped, interval)
    raise ScheduleError(
        f"schedule {stripped!r} has {len(fields)} field(s): expected a six-field NCRONTAB "
        "expression '{second} {minute} {hour} {day} {month} {day-of-week}' or a TimeSpan hh:mm:ss"
    )


def monitored(schedule: Schedule) -> bool:
    """Whether the Functions host keeps a schedule status (``useMonitor``) for ``schedule``.

    The host turns the monitor off, even when ``useMonitor`` is true, for schedules that fire
    more than once a minute: a TimeSpan under a minute, or NCRONTAB whose fields above the
    seconds are all ``*`` and that fires twice within a minute (its TimerSchedule.Create).
    Without the monitor there is no recorded status, so no past-due run after a restart.
    """
    if isinstance(schedule, IntervalSchedule):
        return schedule.interval >= timedelta(minutes=1)
    if isinstance(schedule, CronSchedule):
        if any(field != "*" for field in schedule.text.split()[1:]):
            return True
        start = datetime(2000, 1, 1, tzinfo=UTC)
        first = schedule.next_after(start)
        return schedule.next_after(first) > start + timedelta(minutes=1)
    return True


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ScheduleError("schedule times must be timezone-aware (UTC)")
    return moment.astimezone(UTC)
