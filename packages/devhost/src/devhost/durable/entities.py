"""Durable entities: each entity handles its operations one batch at a time, in arrival order.

A batch is the entity's due messages (signals and calls from clients and orchestrations). The
SDK's entity handle gets the state and the batch and returns the new state and one result per
operation; call results go back to the calling orchestration as ``EventRaised`` events named by
the request id, the way the extension answers ``call_entity``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from azure.functions import _durable_functions as azf_durable

from ..loader import FunctionInfo
from . import instance_store
from .decision import Post
from .history import EventType, event
from .rows import EntityRow
from .store import Store

__all__ = ["EntityEngine", "parse_entity_id"]

MAX_BATCH = 50


def parse_entity_id(scheduler_id: str) -> tuple[str, str]:
    """``@name@key`` -> (name, key)."""
    if not scheduler_id.startswith("@") or scheduler_id.count("@") < 2:
        raise ValueError(f"expected an entity id of the form @name@key, got {scheduler_id!r}")
    name, _, key = scheduler_id[1:].partition("@")
    return name, key


class EntityEngine:
    def __init__(self, store: Store, entities: dict[str, FunctionInfo]) -> None:
        self.store = store
        self.entities = {name.lower(): fn for name, fn in entities.items()}

    def runnable(self, now: datetime, exclude: set[str], limit: int) -> list[str]:
        return instance_store.runnable_entities(self.store.conn(), now, exclude, limit)

    def run_batch(self, entity_id: str, now: datetime) -> None:
        db = self.store.conn()
        rows = instance_store.entity_messages(db, entity_id, now, MAX_BATCH)
        if not rows:
            return
        messages = [message for _, message in rows]
        name, key = parse_entity_id(entity_id)
        current = instance_store.entity(db, entity_id)
        fn = self.entities.get(name.lower())
        if fn is None:
            outcome: dict[str, Any] = {
                "entityExists": current is not None,
                "entityState": current.state if current else None,
                "results": [
                    {
                        "isError": True,
                        "result": json.dumps(
                            f"The function '{name}' doesn't exist or is not an entity function."
                        ),
                    }
                    for _ in messages
                ],
            }
        else:
            context = {
                "self": {"name": name, "key": key},
                "state": current.state if current else None,
                "exists": current is not None,
                # The extension sends each input as a JSON string holding the JSON text.
                "batch": [
                    {
                        "name": m.get("op"),
                        "input": json.dumps(m.get("input") or "null"),
                        "isSignal": bool(m.get("signal")),
                    }
                    for m in messages
                ],
            }
            outcome = json.loads(fn.func(azf_durable.EntityContext(json.dumps(context))))
        responses = []
        for message, result in zip(messages, outcome.get("results", []), strict=False):
            if message.get("signal") or not message.get("parent"):
                continue
            response: dict[str, Any] = {"result": result.get("result") or "null"}
            if result.get("isError"):
                response["exceptionType"] = "System.Exception"
            responses.append(
                Post(
                    message["parent"],
                    "response",
                    event(
                        EventType.EventRaised, now, Name=message["id"], Input=json.dumps(response)
                    ),
                    now,
                    execution_id=message.get("parentExecution"),
                )
            )
        state = (
            EntityRow(entity_id, name, key, outcome.get("entityState"), now)
            if outcome.get("entityExists")
            else None
        )
        with self.store.tx() as tx:
            instance_store.save_entity_batch(tx, state, entity_id, [i for i, _ in rows], responses)
