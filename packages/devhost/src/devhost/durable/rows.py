"""The durable store's rows as typed values, for code that must not see SQL rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["EntityRow", "InstanceRow", "Progress"]


@dataclass(frozen=True, slots=True)
class InstanceRow:
    """One orchestration instance as stored; JSON fields stay text, times stay the store's."""

    id: str
    name: str
    version: str | None
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created: str
    updated: str
    execution_id: str
    state: str
    parent_id: str | None = None
    parent_task: int | None = None

    @classmethod
    def of(cls, row: Any) -> InstanceRow:
        return cls(
            row["id"],
            row["name"],
            row["version"],
            row["status"],
            row["input"],
            row["output"],
            row["custom_status"],
            row["created"],
            row["updated"],
            row["execution_id"],
            row["state"],
            row["parent_id"],
            row["parent_task"],
        )


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One entity as stored: its id (``@name@key``), its state as JSON text (None: no state)."""

    id: str
    name: str
    key: str
    state: str | None
    updated: datetime


@dataclass
class Progress:
    """What the host remembers about an execution besides its history (``instances.state``):
    the task ids handed out, the actions seen, and the retries in flight."""

    seq: int = 0
    actions_seen: int = 0
    action_ids: list[int] = field(default_factory=list)
    retries: dict[str, dict[str, Any]] = field(default_factory=dict)
    retry_timers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> Progress:
        data = json.loads(text or "{}")
        return cls(**data) if data else cls()

    def dump(self) -> str:
        return json.dumps(self.__dict__)

    def take_id(self) -> int:
        self.seq += 1
        return self.seq - 1
