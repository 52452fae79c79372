"""The instance store's side of the Durable client: typed rows of instances and entities, the
queries the Durable HTTP API serves, and the purge of finished instances.

Every SQL statement the client operations need lives here, so that the HTTP layer
(``web.durable_api``) and the operations (``durable.client``) handle rows, not SQL. Reads take
any connection; writes take the transaction ``DurableEngine.write`` gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .protocol import TERMINAL
from .store import from_ts, to_ts

__all__ = ["INSTANCE_TABLES", "EntityRow", "InstanceFilter", "InstanceRow", "entities",
           "entity", "history", "instance", "instance_ids", "instances", "purge"]

# The tables whose rows belong to one instance (by instance_id), besides ``instances``.
INSTANCE_TABLES = ("history", "inbox", "waiting", "work")


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

    @classmethod
    def of(cls, row: Any) -> InstanceRow:
        return cls(row["id"], row["name"], row["version"], row["status"], row["input"],
                   row["output"], row["custom_status"], row["created"], row["updated"],
                   row["execution_id"], row["state"])


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One entity as stored: its id (``@name@key``), its state as JSON text (None: no state)."""

    id: str
    name: str
    key: str
    state: str | None
    updated: datetime


@dataclass(frozen=True)
class InstanceFilter:
    """The instance filters of the Durable HTTP API (already validated)."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    statuses: tuple[str, ...] = ()
    id_prefix: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        for op, moment in ((">=", self.created_from), ("<=", self.created_to)):
            if moment is not None:
                clauses.append(f"created {op} ?")
                args.append(to_ts(moment))
        if self.statuses:
            clauses.append(f"status IN ({','.join('?' * len(self.statuses))})")
            args.extend(self.statuses)
        if self.id_prefix:
            clauses.append("substr(id, 1, ?) = ?")
            args.extend([len(self.id_prefix), self.id_prefix])
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _limit(limit: int | None) -> int:
    return -1 if limit is None else limit  # SQLite: a negative LIMIT reads everything


def instance(conn: Any, instance_id: str) -> InstanceRow | None:
    row = conn.execute("SELECT * FROM instances WHERE id=?", (instance_id,)).fetchone()
    return None if row is None else InstanceRow.of(row)


def history(conn: Any, instance_id: str) -> list[dict[str, Any]]:
    """The instance's raw history, in order, exactly as the SDK receives it."""
    rows = conn.execute("SELECT event FROM history WHERE instance_id=? ORDER BY n",
                        (instance_id,))
    return [json.loads(r[0]) for r in rows]


def instances(conn: Any, where: InstanceFilter, offset: int = 0,
              limit: int | None = None) -> list[InstanceRow]:
    """The instances that match, in creation order, ``limit`` of them from ``offset``."""
    clause, args = where.where()
    rows = conn.execute(f"SELECT * FROM instances{clause} ORDER BY created, id LIMIT ? OFFSET ?",
                        [*args, _limit(limit), offset])
    return [InstanceRow.of(r) for r in rows]


def instance_ids(conn: Any, where: InstanceFilter) -> list[str]:
    clause, args = where.where()
    return [r[0] for r in conn.execute(f"SELECT id FROM instances{clause}", args)]


def purge(db: Any, ids: list[str]) -> int:
    """Delete the finished instances among ``ids`` with everything of theirs; how many."""
    deleted = 0
    for iid in ids:
        row = db.execute("SELECT status FROM instances WHERE id=?", (iid,)).fetchone()
        if row is None or row["status"] not in TERMINAL:
            continue
        for table in INSTANCE_TABLES:
            db.execute(f"DELETE FROM {table} WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM instances WHERE id=?", (iid,))
        deleted += 1
    return deleted


def _entity(row: Any) -> EntityRow:
    return EntityRow(row["id"], row["name"], row["key"], row["state"], from_ts(row["updated"]))


def entity(conn: Any, entity_id: str) -> EntityRow | None:
    row = conn.execute("SELECT * FROM entities WHERE id=?", (entity_id,)).fetchone()
    return None if row is None else _entity(row)


def entities(conn: Any, name: str | None = None, updated_from: datetime | None = None,
             updated_to: datetime | None = None, offset: int = 0,
             limit: int | None = None) -> list[EntityRow]:
    """The entities (of one entity function, when ``name`` is given) in id order."""
    where, args = [], []
    if name:
        where.append("name = ?")
        args.append(name.lower())
    for op, moment in ((">=", updated_from), ("<=", updated_to)):
        if moment is not None:
            where.append(f"updated {op} ?")
            args.append(to_ts(moment))
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = conn.execute(f"SELECT * FROM entities{clause} ORDER BY id LIMIT ? OFFSET ?",
                        [*args, _limit(limit), offset])
    return [_entity(r) for r in rows]
