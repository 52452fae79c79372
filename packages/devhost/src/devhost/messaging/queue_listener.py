"""The storage-queue trigger: get, invoke, delete on success, release or poison on failure.

Settings from host.json ``extensions.queues`` as the Functions host reads them: ``batchSize``
(default 16) plus ``newBatchThreshold`` (default half the batch) handlers at once,
``visibilityTimeout`` before a failed message is retried (default 0), and ``maxDequeueCount``
(default 5) after which it moves to ``<queue>-poison``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from devhost.messaging._dispatch import Dispatcher
from devhost.messaging._host import Extension, HostLike, invoke
from devhost.messaging.datum import queue_trigger
from devhost.messaging.storage_queues import PROCESSING, QueueMessage, StorageQueues

__all__ = ["QueueListener"]

log = logging.getLogger("devhost.messaging")


class QueueListener(Dispatcher):
    """Feeds one function from one storage queue."""

    def __init__(self, host: HostLike, fn: Any, queues: StorageQueues, queue: str) -> None:
        super().__init__(host.clock, f"{fn.name} <- {queue}")
        self.host = host
        self.fn = fn
        self.queues = queues
        self.queue = queue
        ext = Extension(host, "queues")
        batch = ext.integer("batchSize", 16)
        self.capacity = batch + ext.integer("newBatchThreshold", max(batch // 2, 1), minimum=0)
        self.max_dequeue = ext.integer("maxDequeueCount", 5)
        self.visibility = ext.duration("visibilityTimeout", "00:00:00")
        queues.on_change(self._changed)

    def _changed(self, queue: str) -> None:
        if queue == self.queue:
            self.wake()

    def has_ready(self) -> bool:
        return self.queues.has_ready(self.queue)

    def next_visible(self) -> datetime | None:
        return self.queues.next_visible(self.queue)

    def fill(self) -> None:
        while self.running < self.capacity:
            got = self.queues.get(self.queue, self.capacity - self.running)
            if not got:
                return
            for message in got:
                self.spawn(self._handle(message))

    async def _handle(self, message: QueueMessage) -> None:
        data, metadata = queue_trigger(message)
        keep = asyncio.create_task(self._keep_invisible(message))
        try:
            await invoke(self.host, self.fn, data, metadata)
        except Exception as error:  # the user's exception: retry later or poison
            poisoned = self.queues.release(message, self.visibility, self.max_dequeue)
            log.warning(
                "function %s failed on queue message %s (dequeue %d)%s: %s",
                self.fn.name,
                message.id,
                message.dequeue_count,
                "; moved to the poison queue" if poisoned else "",
                error,
            )
        else:
            self.queues.delete(message)
        finally:
            keep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keep

    async def _keep_invisible(self, message: QueueMessage) -> None:
        """Push the message's visibility out while its handler runs, as the host does."""
        visible_at = message.visible_at
        while True:
            await self.clock.sleep_until(visible_at - PROCESSING / 2)
            visible_at = self.queues.extend(message)
