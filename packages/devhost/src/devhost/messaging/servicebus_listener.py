"""The Service Bus trigger: receive in peek-lock, invoke, complete or abandon.

Non-session entities run up to ``maxConcurrentCalls`` handlers (host.json
``extensions.serviceBus``, default 16). Session entities run up to ``maxConcurrentSessions``
sessions (default 8) at once, each drained in sequence order by one handler: FIFO per session
and never two handlers on one session. ``cardinality: many`` hands a batch of up to
``maxMessageBatchSize`` (default 1000) messages to one call. While a call runs its locks are
renewed at half the lock duration, for at most ``maxAutoLockRenewalDuration`` (default 5 min).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from devhost.messaging._dispatch import Dispatcher
from devhost.messaging._host import Extension, HostLike, invoke
from devhost.messaging.datum import servicebus_batch, servicebus_single
from devhost.messaging.servicebus import ReceivedMessage, ServiceBusBroker, split_dead_letter

__all__ = ["ServiceBusListener"]

log = logging.getLogger("devhost.messaging")


class ServiceBusListener(Dispatcher):
    """Feeds one function from one queue or subscription (``entity``)."""

    def __init__(self, host: HostLike, fn: Any, broker: ServiceBusBroker, entity: str) -> None:
        super().__init__(host.clock, f"{fn.name} <- {entity}")
        self.host = host
        self.fn = fn
        self.broker = broker
        self.entity = entity
        self.sessions = bool(fn.trigger.get("isSessionsEnabled", False))
        self.batch = str(fn.trigger.get("cardinality", "one")).lower() == "many"
        ext = Extension(host, "serviceBus")
        self.max_calls = ext.integer("maxConcurrentCalls", 16)
        self.max_sessions = ext.integer("maxConcurrentSessions", 8)
        self.batch_size = ext.integer("maxMessageBatchSize", 1000) if self.batch else 1
        self.max_renewal = ext.duration("maxAutoLockRenewalDuration", "00:05:00")
        self.held: set[str] = set()  # sessions a handler of this listener owns
        self.misconfigured = broker.properties(entity).requires_session != self.sessions
        if self.misconfigured:
            need = "requires" if broker.properties(entity).requires_session else "does not use"
            log.error(
                "function %s: %r %s sessions but the trigger sets isSessionsEnabled=%s; "
                "the function will not receive messages",
                fn.name,
                entity,
                need,
                self.sessions,
            )
        broker.on_change(self._changed)

    def _changed(self, entity: str) -> None:
        # A dead-letter listener wakes when its queue changes: that is where dead letters
        # come from.
        if entity in (self.entity, split_dead_letter(self.entity)[0]):
            self.wake()

    # -- dispatch hooks ------------------------------------------------------------------

    def has_ready(self) -> bool:
        return not self.misconfigured and self.broker.has_ready(self.entity, self.held)

    def next_visible(self) -> datetime | None:
        return self.broker.next_visible(self.entity)

    def fill(self) -> None:
        if self.misconfigured:
            return
        if self.sessions:
            while len(self.held) < self.max_sessions:
                session = self.broker.next_session(self.entity, self.held)
                if session is None:
                    return
                self.held.add(session)
                self.spawn(self._drain_session(session))
            return
        limit = 1 if self.batch else self.max_calls  # a batch listener runs one batch at a time
        while self.running < limit:
            messages = self.broker.receive(self.entity, self.batch_size)
            if not messages:
                return
            self.spawn(self._handle(messages))

    # -- handling ------------------------------------------------------------------------

    async def _drain_session(self, session: str) -> None:
        """Handle a session's messages one call at a time until none is receivable."""
        try:
            while not self._stopping:
                messages = self.broker.receive(self.entity, self.batch_size, session)
                if not messages:
                    return
                await self._handle(messages)
        finally:
            self.held.discard(session)

    async def _handle(self, messages: list[ReceivedMessage]) -> None:
        tokens = [m.lock_token for m in messages if m.lock_token]
        if self.batch:
            data, metadata = servicebus_batch(messages)
        else:
            data, metadata = servicebus_single(messages[0])
        renewal = asyncio.create_task(self._renew(tokens, messages[0].locked_until))
        try:
            await invoke(self.host, self.fn, data, metadata)
        except Exception as error:  # the user's exception: abandon, as the host does
            log.warning(
                "function %s failed on message %s (delivery %d): %s",
                self.fn.name,
                messages[0].message_id,
                messages[0].delivery_count,
                error,
            )
            self.broker.abandon(tokens)
        else:
            if self.broker.complete(tokens) < len(tokens):
                log.warning(
                    "function %s: lock lost on %s before completion; the message will "
                    "be delivered again",
                    self.fn.name,
                    self.entity,
                )
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    async def _renew(self, tokens: list[str], locked_until: datetime | None) -> None:
        """Renew the locks at half the lock duration until the renewal budget is spent."""
        if locked_until is None:
            return
        lock = self.broker.properties(self.entity).lock_duration
        give_up = self.clock.now() + self.max_renewal
        while True:
            due = locked_until - lock / 2
            if due >= give_up:
                return
            await self.clock.sleep_until(max(due, self.clock.now() + timedelta(milliseconds=1)))
            locked_until = self.broker.renew(tokens, self.entity)
