"""Time for the host: the real clock, or a virtual one that only moves when told to.

Everything in devhost that waits for a point in time (durable timers, message schedules, lock
expiry, timer triggers) asks the clock, so with the virtual clock days of SLA pass in
milliseconds and tests stay deterministic.
"""

from __future__ import annotations

import abc
import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "RealClock", "VirtualClock", "parse_duration"]

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


class RealClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

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
        self._moved: asyncio.Condition | None = None
        self._wakeups: list[datetime] = []

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
        self._now = when
        if self._moved is not None:
            async with self._moved:
                self._moved.notify_all()
