"""The loop every message listener runs: fill free handler slots, then sleep until woken.

A listener wakes when its entity changes (a send, an abandon), when a handler finishes, or when
the next scheduled message becomes visible on the host clock; with the virtual clock that sleep
registers a wakeup, so ``advance`` stops exactly at each scheduled message.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

__all__ = ["Dispatcher"]

log = logging.getLogger("devhost.messaging")

_DRAIN_SECONDS = 30.0  # how long stop() lets running handlers finish before cancelling them


class Dispatcher(abc.ABC):
    """Base of the listeners: subclasses say how to start work and when more becomes visible."""

    def __init__(self, clock: Any, name: str) -> None:
        self.clock = clock
        self.name = name
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False

    # -- subclass hooks ------------------------------------------------------------------

    @abc.abstractmethod
    def fill(self) -> None:
        """Start handlers (with :meth:`spawn`) while there is work and capacity."""

    @abc.abstractmethod
    def next_visible(self) -> datetime | None:
        """When work not receivable now will become so (None: nothing scheduled)."""

    @abc.abstractmethod
    def has_ready(self) -> bool:
        """True when a receive would get work now."""

    # -- machinery -----------------------------------------------------------------------

    @property
    def running(self) -> int:
        return len(self._tasks)

    def busy(self) -> bool:
        """Work runnable now: a handler running or receivable work (scheduled work is not)."""
        return not self._stopping and (bool(self._tasks) or self.has_ready())

    def wake(self, *_: object) -> None:
        self._wake.set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                log.error("%s: handler crashed", self.name, exc_info=done.exception())
            self.wake()

        task.add_done_callback(finished)

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name=f"listener {self.name}")

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        if self._loop is not None:
            await self._loop
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=_DRAIN_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def _alarm(self, when: datetime) -> None:
        await self.clock.sleep_until(when)
        self.wake()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                self.fill()
                when = self.next_visible()
            except Exception:  # a broken store must not kill the host; retry on next wake
                log.exception("%s: receive failed", self.name)
                when = None
            alarm = asyncio.create_task(self._alarm(when)) if when is not None else None
            try:
                await self._wake.wait()
            finally:
                if alarm is not None:
                    alarm.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await alarm
