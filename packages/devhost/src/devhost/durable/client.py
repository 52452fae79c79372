"""The Durable client's writes (start, raise an event, terminate/suspend/resume/rewind, restart,
purge, signal an entity) as typed outcomes, without HTTP: the Durable HTTP API maps each
:class:`Outcome` to its status code (202, 404, 409, 410), as the extension documents them.

Each operation decides on the instance's row in the same transaction that applies it (one
``DurableEngine.write``), so a start racing another start of the same id, or an event racing
the instance's end, gets one consistent answer.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from .engine import DurableEngine
from .history import EventType, event
from .instance_store import InstanceFilter, instance, instance_ids, post_entity_message, purge
from .protocol import TERMINAL

__all__ = ["RUNNING", "DurableClient", "Outcome"]

RUNNING = ("Pending", "Running", "Suspended")


class Outcome(Enum):
    ACCEPTED = "accepted"
    NOT_FOUND = "not found"  # no such instance
    GONE = "gone"  # the instance is not in a state for the operation (e.g. it ended)
    CONFLICT = "conflict"  # an instance with that id is still running


class DurableClient:
    """The client operations on one engine's store; each runs in the engine's next write."""

    def __init__(self, engine: DurableEngine) -> None:
        self.engine = engine

    async def start(
        self, name: str, instance_id: str, input_json: str | None, version: str | None
    ) -> Outcome:
        """Create an instance, unless one with that id is still running (CONFLICT)."""
        result: Outcome = await self.engine.write(
            self._create, name, instance_id, input_json, version
        )
        return result

    async def raise_event(self, instance_id: str, name: str, body: str | None) -> Outcome:
        result: Outcome = await self.engine.write(self._post_event, instance_id, name, body)
        return result

    async def control(self, instance_id: str, verb: str, reason: str) -> Outcome:
        """``terminate``, ``suspend`` or ``resume`` a running instance; ``rewind`` a failed one."""
        result: Outcome = await self.engine.write(self._control, instance_id, verb, reason)
        return result

    async def restart(self, instance_id: str, new_id: str) -> Outcome:
        """Start the instance's orchestration again with its input and version as ``new_id``."""
        known = instance(self.engine.store.conn(), instance_id)
        if known is None:
            return Outcome.NOT_FOUND
        return await self.start(known.name, new_id, known.input, known.version)

    async def purge(self, ids: list[str]) -> int:
        """Delete the finished instances among ``ids``; how many were."""
        deleted: int = await self.engine.write(purge, ids)
        return deleted

    async def purge_matching(self, where: InstanceFilter) -> int:
        return await self.purge(instance_ids(self.engine.store.conn(), where))

    async def signal_entity(self, entity_id: str, operation: str, body: str | None) -> None:
        await self.engine.write(self._signal, entity_id, operation, body)

    # ------------------------------------------------------------------- in the write's tx
    def _create(
        self, db: Any, name: str, instance_id: str, input_json: str | None, version: str | None
    ) -> Outcome:
        known = instance(db, instance_id)
        if known is not None and known.status in RUNNING:
            return Outcome.CONFLICT
        self.engine.orch.create(
            db, name, instance_id, input_json, self.engine.clock.now(), version=version
        )
        return Outcome.ACCEPTED

    def _post_event(self, db: Any, instance_id: str, name: str, body: str | None) -> Outcome:
        now = self.engine.clock.now()
        known = instance(db, instance_id)
        if known is None:
            return Outcome.NOT_FOUND
        if known.status in TERMINAL:
            return Outcome.GONE
        self.engine.orch.post(
            db,
            instance_id,
            "event",
            event(EventType.EventRaised, now, Name=name, Input=body),
            now,
            name=name,
        )
        return Outcome.ACCEPTED

    def _control(self, db: Any, instance_id: str, verb: str, reason: str) -> Outcome:
        now = self.engine.clock.now()
        known = instance(db, instance_id)
        if known is None:
            return Outcome.NOT_FOUND
        if verb == "rewind":
            if known.status != "Failed":
                return Outcome.GONE
            self.engine.orch.rewind(db, known, reason, now)
            return Outcome.ACCEPTED
        if known.status in TERMINAL:
            return Outcome.GONE
        self.engine.orch.post(
            db, instance_id, verb, event(EventType.GenericEvent, now, Input=json.dumps(reason)), now
        )
        return Outcome.ACCEPTED

    def _signal(self, db: Any, entity_id: str, operation: str, body: str | None) -> None:
        post_entity_message(
            db, entity_id, {"op": operation, "input": body, "signal": True}, self.engine.clock.now()
        )
