"""External events that arrive before their wait: kept in order, one per wait.

The Durable Python SDK 1.7.0 keeps an event that arrives while nobody waits for it in
``context.deferred_tasks[name]``, a plain dict: a second early event of the same name
overwrites the first, and the kept event is never removed, so every later wait for that name
receives it again. It also leaves a timed-out wait's task registered, so the next event of that
name goes to the abandoned wait. The language promises "events that arrive before the wait are
kept in order and consumed by the next wait for that name", so :func:`install` swaps in a FIFO
inbox and :func:`forget_wait` unregisters an abandoned wait. Several waits open at once for one
name (a wait for ``count`` events) are handed events last-opened first by the SDK; ``install``
makes that first-opened first, so the waits' results are in arrival order. All of this touches
only the context's bookkeeping attributes, and is exercised by the replay tests.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

__all__ = ["EventInbox", "forget_wait", "install"]


class EventInbox(dict[Any, Callable[[], None]]):
    """A drop-in for ``deferred_tasks``: each key holds a queue; reading a key consumes one."""

    def __init__(self) -> None:
        super().__init__()
        self._queues: dict[Any, deque[Callable[[], None]]] = {}

    def __setitem__(self, key: Any, deliver: Callable[[], None]) -> None:
        self._queues.setdefault(key, deque()).append(deliver)

    def __contains__(self, key: object) -> bool:
        return bool(self._queues.get(key))

    def __getitem__(self, key: Any) -> Callable[[], None]:
        queue = self._queues.get(key)
        if not queue:
            raise KeyError(key)
        return queue.popleft()

    def pending(self, key: Any) -> int:
        """How many early deliveries wait for ``key``."""
        return len(self._queues.get(key, ()))


class _OpenedFirst(list[Any]):
    """The open waits of one event name. The SDK appends each wait it opens and hands the next
    event to ``pop()``, the last one; keeping the list newest-first makes that the oldest."""

    def append(self, task: Any) -> None:
        self.insert(0, task)


def install(context: Any) -> None:
    """Give the context an :class:`EventInbox` and first-opened-first waits (idempotent; call
    before the first yield, while nothing is open)."""
    if not isinstance(getattr(context, "deferred_tasks", None), EventInbox):
        context.deferred_tasks = EventInbox()
    open_tasks = getattr(context, "open_tasks", None)
    if isinstance(open_tasks, defaultdict) and open_tasks.default_factory is list:
        context.open_tasks = defaultdict(_OpenedFirst, open_tasks)


def forget_wait(context: Any, name: str, task: Any) -> None:
    """Unregister an abandoned event wait so a later event reaches the next wait instead."""
    open_tasks = getattr(context, "open_tasks", None)
    if open_tasks is None or name not in open_tasks:
        return
    waiting = open_tasks[name]
    if isinstance(waiting, list):
        if task in waiting:
            waiting.remove(task)
        if not waiting:
            del open_tasks[name]
    elif waiting is task:
        del open_tasks[name]
