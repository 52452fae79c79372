"""Time for the host: the real clock, or a virtual one that only moves when told to.

Everything in devhost that waits for a point in time (durable timers, message schedules, lock
expiry, timer triggers) asks the clock, so with the virtual clock days of SLA pass in
milliseconds and tests stay deterministic.

The clock is kept in the data dir (``clock.json``) so that time never runs backwards for the
state stored there: a virtual clock writes each moment before it moves to it and a host started
again on that data dir carries on from there (a restart must not make the messages and timers
written after an advance lie in the future); a real clock notes the time it started, so a
virtual clock after it starts no earlier.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["CLOCK_FILE", "Clock", "RealClock", "VirtualClock", "parse_duration"]

CLOCK_FILE = "clock.json"  # in the data dir: {"now": ISO 8601, "virtual": bool}

log = logging.getLogger("devhost")

_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration of days and time (``P5D``, ``PT24H``, ``PT1M30S``)."""
    match = _ISO_DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip() in {"P", "PT"} or text.strip().endswith("T"):
        raise ValueError(f"expected an ISO 8601 duration such as PT24H or P5D, got {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    try:
        return timedelta(**parts)
    except OverflowError:
        raise ValueError(f"duration {text!r} is longer than a timedelta can hold") from None


class Clock(abc.ABC):
    """The host's notion of now; ``sleep_until`` returns when now reaches a moment."""

    is_virtual = False

    @abc.abstractmethod
    def now(self) -> datetime: ...

    @abc.abstractmethod
    async def sleep_until(self, when: datetime) -> None: ...

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:  # noqa: B027 (optional hook)
        """Attach to the host's event loop (the virtual clock wakes sleepers there)."""

    @abc.abstractmethod
    def keep_in(self, path: Path) -> None:
        """Carry on from the moment recorded in ``path`` (a data dir's clock file) and record
        this clock's moments there; ValueError names the file if it cannot be read."""


def _saved(path: Path) -> tuple[datetime, bool] | None:
    """The moment and kind of clock a data dir's clock file records (None: no file yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
        moment = datetime.fromisoformat(state["now"])
        if moment.tzinfo is None or not isinstance(state["virtual"], bool):
            raise ValueError("expected a time with an offset and a boolean 'virtual'")
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path}: cannot read the clock's state ({error}); delete the file to"
            " start the clock at the real time"
        ) from None
    return moment.astimezone(UTC), state["virtual"]


def _save(path: Path, moment: datetime, virtual: bool) -> None:
    # Replaced whole, so a kill at any moment leaves the old state or the new, never half.
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(
        json.dumps({"now": moment.isoformat(), "virtual": virtual}), encoding="utf-8"
    )
    os.replace(scratch, path)


class RealClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

    def keep_in(self, path: Path) -> None:
        saved = _saved(path)
        now = self.now()
        if saved is not None and saved[0] > now:
            log.warning(
                "the virtual clock of this data dir stood at %s, ahead of the real time;"
                " what was due before then is due now",
                saved[0].isoformat(),
            )
        _save(path, max(now, saved[0]) if saved else now, virtual=False)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock(Clock):
    """A clock that starts at the real time and then moves only on ``advance``.

    Sleepers register the moment they wait for, so ``advance`` can step through those moments
    in order and let the host settle at each one: a timer due in an hour fires at that hour
    (and sees that time as now) even when the clock is advanced by five days at once.
    """

    is_virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).replace(microsecond=0)
        self._given_start = start is not None
        self._moved: asyncio.Condition | None = None
        self._wakeups: list[datetime] = []
        self._file: Path | None = None

    def keep_in(self, path: Path) -> None:
        """Resume where the data dir's virtual clock stood; a clock given its own start, or
        following a real clock, moves forward to the recorded moment if it is behind it."""
        saved = _saved(path)
        if saved is not None:
            moment, virtual = saved
            self._now = moment if virtual and not self._given_start else max(self._now, moment)
        self._file = path
        _save(path, self._now, virtual=True)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        assert self._moved is not None, "clock not bound to the host loop"
        self._wakeups.append(when)
        try:
            async with self._moved:
                await self._moved.wait_for(lambda: self._now >= when)
        finally:
            self._wakeups.remove(when)

    async def advance(
        self, delta: timedelta, settle: Callable[[], Awaitable[None]] | None = None
    ) -> datetime:
        """Move time forward by ``delta``, stopping at each moment someone sleeps until."""
        if delta < timedelta(0):
            raise ValueError("the virtual clock cannot go backwards")
        target = self._now + delta
        while True:
            if settle is not None:
                await settle()
            due = [w for w in self._wakeups if self._now < w <= target]
            step = min(due) if due else target
            await self._set(step)
            if step >= target:
                break
        if settle is not None:
            await settle()
        return self._now

    async def _set(self, when: datetime) -> None:
        if self._file is not None:
            _save(self._file, when, virtual=True)  # first: nothing is stamped later than it
        self._now = when
        if self._moved is not None:
            async with self._moved:
                self._moved.notify_all()
