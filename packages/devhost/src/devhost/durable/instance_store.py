"""The instance store: every SQL statement on orchestration instances, their history, inbox,
waits and work, with typed rows (``rows``) in and out.

Episodes decide without touching the store (``episode.Episode`` returns a ``decision.Decision``)
and :func:`apply` applies a decision in the caller's transaction; the Durable client
(``client``), the HTTP API (``web.durable_api``) and the engine read and write through the
functions here. Reads take any connection; writes take a transaction (``Store.tx`` or
``DurableEngine.write``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._sqlite import from_ts, to_ts
from . import decision as d
from .history import EventType, event
from .protocol import HTTP_ACTIVITY, REPLAYED, TERMINAL
from .rows import EntityRow, InstanceRow, Progress

__all__ = [
    "INSTANCE_TABLES",
    "EntityRow",
    "InstanceFilter",
    "InstanceRow",
    "StaleEpisode",
    "append_history",
    "apply",
    "create",
    "drop_messages",
    "due_messages",
    "entities",
    "entity",
    "entity_messages",
    "finish",
    "has_work_after",
    "history",
    "instance",
    "instance_ids",
    "instances",
    "next_due",
    "post",
    "post_entity_message",
    "purge",
    "replayed_history",
    "rewind",
    "runnable",
    "runnable_entities",
    "save_entity_batch",
    "savepoint",
    "take_work",
    "upgrade_history",
    "waiting_counts",
    "work_after",
]

# The tables whose rows belong to one instance (by instance_id), besides ``instances``.
INSTANCE_TABLES = ("history", "inbox", "waiting", "work")


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
    rows = conn.execute("SELECT event FROM history WHERE instance_id=? ORDER BY n", (instance_id,))
    return [json.loads(r[0]) for r in rows]


def instances(
    conn: Any, where: InstanceFilter, offset: int = 0, limit: int | None = None
) -> list[InstanceRow]:
    """The instances that match, in creation order, ``limit`` of them from ``offset``."""
    clause, args = where.where()
    rows = conn.execute(
        f"SELECT * FROM instances{clause} ORDER BY created, id LIMIT ? OFFSET ?",
        [*args, _limit(limit), offset],
    )
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


def entities(
    conn: Any,
    name: str | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[EntityRow]:
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
    rows = conn.execute(
        f"SELECT * FROM entities{clause} ORDER BY id LIMIT ? OFFSET ?",
        [*args, _limit(limit), offset],
    )
    return [_entity(r) for r in rows]


# --------------------------------------------------------------------------- the engine's


def upgrade_history(store: Any) -> None:
    """Add the ``replayed`` flag to a store written before it existed."""
    columns = {row[1] for row in store.conn().execute("PRAGMA table_info(history)")}
    if "replayed" in columns:
        return
    with store.tx() as tx:
        tx.execute("ALTER TABLE history ADD COLUMN replayed INTEGER NOT NULL DEFAULT 1")
        tx.execute(
            "UPDATE history SET replayed ="
            f" json_extract(event, '$.EventType') IN ({','.join('?' * len(REPLAYED))})",
            tuple(int(kind) for kind in REPLAYED),
        )


def create(
    db: Any,
    name: str,
    instance_id: str,
    input_json: str | None,
    now: datetime,
    version: str | None,
    execution_id: str,
    parent: tuple[str, int, str] | None = None,
) -> None:
    """Create (or replace) an instance and queue its ExecutionStarted."""
    if db.execute("SELECT 1 FROM instances WHERE id=?", (instance_id,)).fetchone():
        for table in INSTANCE_TABLES:  # what the old one left
            db.execute(f"DELETE FROM {table} WHERE instance_id=?", (instance_id,))
    db.execute(
        "INSERT OR REPLACE INTO instances (id, name, version, status, input, output,"
        " custom_status, created, updated, parent_id, parent_task, execution_id, state)"
        " VALUES (?,?,?,?,?,NULL,NULL,?,?,?,?,?,'{}')",
        (
            instance_id,
            name,
            version,
            "Pending",
            input_json,
            to_ts(now),
            to_ts(now),
            parent[0] if parent else None,
            parent[1] if parent else None,
            execution_id,
        ),
    )
    started = event(
        EventType.ExecutionStarted,
        now,
        Name=name,
        Input=input_json,
        Version=version,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=(
            {
                "Name": parent[2],
                "OrchestrationInstance": {"InstanceId": parent[0]},
                "TaskScheduleId": parent[1],
            }
            if parent
            else None
        ),
    )
    post(db, instance_id, "start", started, now, execution_id=execution_id)


def post(
    db: Any,
    instance_id: str,
    kind: str,
    evt: dict[str, Any],
    visible_at: datetime,
    execution_id: str | None = None,
    name: str | None = None,
) -> None:
    """Queue a message in an instance's inbox, visible from ``visible_at``."""
    db.execute(
        "INSERT INTO inbox (instance_id, execution_id, kind, name, event, visible_at)"
        " VALUES (?,?,?,?,?,?)",
        (instance_id, execution_id, kind, name, json.dumps(evt), to_ts(visible_at)),
    )


def append_history(db: Any, instance_id: str, events: list[dict[str, Any]]) -> None:
    """Record events as the SDK replays them later: played, and flagged when a replay
    reads them at all, so that building the next context needs no JSON parsing."""
    row = db.execute(
        "SELECT COALESCE(MAX(n), -1) FROM history WHERE instance_id=?", (instance_id,)
    ).fetchone()
    start = int(row[0]) + 1
    db.executemany(
        "INSERT INTO history (instance_id, n, event, replayed) VALUES (?,?,?,?)",
        [
            (
                instance_id,
                start + i,
                json.dumps({**e, "IsPlayed": True}),
                e["EventType"] in REPLAYED,
            )
            for i, e in enumerate(events)
        ],
    )


def finish(
    db: Any,
    inst: InstanceRow,
    status: str,
    output_json: str | None,
    now: datetime,
    events: list[dict[str, Any]],
    custom_status: Any = d.KEEP,
) -> None:
    """End the execution, drop its pending work and tell the parent orchestration."""
    iid = inst.id
    append_history(db, iid, events)
    db.execute("DELETE FROM work WHERE instance_id=?", (iid,))
    db.execute("DELETE FROM inbox WHERE instance_id=? AND kind != 'event'", (iid,))
    db.execute("DELETE FROM waiting WHERE instance_id=?", (iid,))
    if custom_status is d.KEEP:
        db.execute(
            "UPDATE instances SET status=?, output=?, updated=? WHERE id=?",
            (status, output_json, to_ts(now), iid),
        )
    else:
        db.execute(
            "UPDATE instances SET status=?, output=?, custom_status=?, updated=? WHERE id=?",
            (status, output_json, custom_status, to_ts(now), iid),
        )
    if not inst.parent_id:
        return
    parent = db.execute(
        "SELECT execution_id FROM instances WHERE id=?", (inst.parent_id,)
    ).fetchone()
    if parent is None:
        return
    if status == "Completed":
        evt = event(
            EventType.SubOrchestrationInstanceCompleted,
            now,
            TaskScheduledId=inst.parent_task,
            Result=output_json,
        )
    else:
        reason = json.loads(output_json) if output_json else status
        evt = event(
            EventType.SubOrchestrationInstanceFailed,
            now,
            TaskScheduledId=inst.parent_task,
            Reason=f"Sub-orchestration '{inst.name}' ({iid}) {status.lower()}: {reason}",
            Details=str(reason),
        )
    post(db, inst.parent_id, "completion", evt, now, execution_id=parent["execution_id"])


def rewind(db: Any, inst: InstanceRow, reason: str, now: datetime) -> None:
    """Forget the failures of a Failed instance and run the failed tasks again (and those of
    its failed sub-orchestrations)."""
    iid = inst.id
    rows = db.execute(
        "SELECT n, event FROM history WHERE instance_id=? ORDER BY n", (iid,)
    ).fetchall()
    events = [(r[0], json.loads(r[1])) for r in rows]
    failed = {
        e["TaskScheduledId"]
        for _, e in events
        if e["EventType"] in (EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed)
    }
    drop = [
        n
        for n, e in events
        if e["EventType"]
        in (
            EventType.TaskFailed,
            EventType.SubOrchestrationInstanceFailed,
            EventType.ExecutionCompleted,
            EventType.ExecutionFailed,
        )
    ]
    db.executemany("DELETE FROM history WHERE instance_id=? AND n=?", [(iid, n) for n in drop])
    for _, e in events:
        if e["EventType"] == EventType.TaskScheduled and e["EventId"] in failed:
            kind = "http" if e.get("Name") == HTTP_ACTIVITY else "activity"
            db.execute(
                "INSERT INTO work (instance_id, execution_id, task_id, kind, name, input)"
                " VALUES (?,?,?,?,?,?)",
                (iid, inst.execution_id, e["EventId"], kind, e["Name"], e.get("Input")),
            )
        elif e["EventType"] == EventType.SubOrchestrationInstanceCreated and e["EventId"] in failed:
            child = instance(db, e["InstanceId"])
            if child is not None and child.status == "Failed":
                rewind(db, child, reason, now)
    # Retry bookkeeping of the failed tasks starts over with the rewound attempt.
    progress = Progress.load(inst.state)
    for task in failed:
        progress.retries.pop(str(task), None)
    db.execute(
        "UPDATE instances SET status='Running', output=NULL, updated=?, state=? WHERE id=?",
        (to_ts(now), progress.dump(), iid),
    )


def runnable(
    conn: Any, now: datetime, exclude: set[str], limit: int, partition: tuple[int, int] = (0, 1)
) -> list[str]:
    """Instances with a message due now, oldest first; ``partition`` (k, n) keeps those
    that episode worker k of n runs."""
    mine, partitions = partition
    rows = conn.execute(
        "SELECT DISTINCT i.instance_id FROM inbox i"
        " JOIN instances s ON s.id = i.instance_id"
        " WHERE i.visible_at <= ?"
        + (" AND partition_of(i.instance_id, ?) = ?" if partitions > 1 else "")
        + " AND (s.status != 'Suspended' OR i.kind IN ('resume', 'terminate'))"
        " AND (i.kind != 'event' OR EXISTS (SELECT 1 FROM waiting w WHERE"
        "      w.instance_id = i.instance_id AND w.name = i.name AND w.count > 0)"
        "      OR s.status IN ('Completed', 'Failed', 'Terminated'))"
        " ORDER BY i.id LIMIT ?",
        (to_ts(now), *((partitions, mine) if partitions > 1 else ()), limit + len(exclude)),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in exclude][:limit]


def next_due(conn: Any, now: datetime) -> datetime | None:
    """When the next inbox message that is not due yet becomes due."""
    row = conn.execute(
        "SELECT MIN(visible_at) FROM inbox WHERE visible_at > ?", (to_ts(now),)
    ).fetchone()
    return from_ts(row[0]) if row and row[0] else None


def due_messages(conn: Any, instance_id: str, now: datetime) -> list[Any]:
    """The instance's inbox messages due now, in order (id, kind, name, event, ...)."""
    rows: list[Any] = conn.execute(
        "SELECT * FROM inbox WHERE instance_id=? AND visible_at<=? ORDER BY id",
        (instance_id, to_ts(now)),
    ).fetchall()
    return rows


def drop_messages(db: Any, instance_id: str) -> None:
    """Drop the inbox of an instance that does not exist (any more)."""
    db.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))


def waiting_counts(conn: Any, instance_id: str) -> dict[str, int]:
    """How many waits for each external event name the instance has open."""
    return {
        r[0]: r[1]
        for r in conn.execute("SELECT name, count FROM waiting WHERE instance_id=?", (instance_id,))
    }


def replayed_history(conn: Any, instance_id: str) -> list[str]:
    """The stored events a replay reads, as the JSON text the SDK gets (not parsed)."""
    return [
        text
        for (text,) in conn.execute(
            "SELECT event FROM history WHERE instance_id=? AND replayed ORDER BY n", (instance_id,)
        )
    ]


def post_entity_message(db: Any, entity_id: str, message: dict[str, Any], at: datetime) -> None:
    db.execute(
        "INSERT INTO entity_inbox (entity_id, message, visible_at) VALUES (?,?,?)",
        (entity_id, json.dumps(message), to_ts(at)),
    )


class StaleEpisode(Exception):
    """The messages an episode consumed were taken meanwhile (by a restart, a purge, or a
    worker of a host that died): what it computed must not be applied."""


def apply(db: Any, decision: d.Decision) -> None:
    """Apply an episode's decision in the caller's transaction, operation by operation.

    Raises :class:`StaleEpisode` (the caller rolls the episode back) when a message it
    consumed was no longer queued."""
    inst = decision.instance
    iid = inst.id
    for op in decision.ops:
        match op:
            case d.Consume(ids):
                taken = db.executemany("DELETE FROM inbox WHERE id=?", [(i,) for i in ids])
                if taken.rowcount != len(ids):
                    raise StaleEpisode(
                        f"{len(ids) - taken.rowcount} of its {len(ids)}"
                        " messages were no longer queued"
                    )
            case d.Defer(ids, until):
                db.executemany(
                    "UPDATE inbox SET visible_at=? WHERE id=?", [(to_ts(until), i) for i in ids]
                )
            case d.AppendHistory(events):
                append_history(db, iid, list(events))
            case d.DeliverEvents(counts):
                for name, count in counts.items():
                    db.execute(
                        "UPDATE waiting SET count = count - ? WHERE instance_id=? AND name=?",
                        (count, iid, name),
                    )
            case d.CancelTimer(timer_id):
                db.execute(
                    "DELETE FROM inbox WHERE instance_id=? AND kind='completion'"
                    " AND json_extract(event, '$.TimerId')=?",
                    (iid, timer_id),
                )
            case d.WaitForEvent(name):
                db.execute(
                    "INSERT INTO waiting (instance_id, name, count) VALUES (?,?,1)"
                    " ON CONFLICT(instance_id, name) DO UPDATE SET count = count + 1",
                    (iid, name),
                )
            case d.ScheduleWork(execution_id, task_id, kind, name, work_input):
                db.execute(
                    "INSERT INTO work (instance_id, execution_id, task_id, kind, name,"
                    " input) VALUES (?,?,?,?,?,?)",
                    (iid, execution_id, task_id, kind, name, work_input),
                )
            case d.Post(instance_id, kind, evt, visible_at, execution_id, name):
                post(db, instance_id, kind, evt, visible_at, execution_id, name)
            case d.SendToEntity(entity_id, message, at):
                post_entity_message(db, entity_id, message, at)
            case d.StartChild(
                name, child_id, child_input, at, version, execution_id, parent, if_running
            ):
                existing = instance(db, child_id)
                if existing is not None and existing.status not in TERMINAL:
                    apply(db, d.Decision(inst, [if_running]))
                else:
                    create(db, name, child_id, child_input, at, version, execution_id, parent)
            case d.Finish(status, output, at, events, custom_status):
                finish(db, inst, status, output, at, list(events), custom_status)
            case d.SetState(state):
                db.execute("UPDATE instances SET state=? WHERE id=?", (state, iid))
            case d.SetStatus(status, at, custom_status, state):
                if custom_status is d.KEEP:
                    db.execute(
                        "UPDATE instances SET status=?, updated=? WHERE id=?",
                        (status, to_ts(at), iid),
                    )
                else:
                    db.execute(
                        "UPDATE instances SET status=?, custom_status=?, updated=?,"
                        " state=? WHERE id=?",
                        (status, custom_status, to_ts(at), state, iid),
                    )
            case d.ContinueAsNew(new_input, custom_json, at, execution_id, started):
                for table in ("history", "waiting", "work"):
                    db.execute(f"DELETE FROM {table} WHERE instance_id=?", (iid,))
                db.execute("DELETE FROM inbox WHERE instance_id=? AND kind != 'event'", (iid,))
                db.execute(
                    "UPDATE instances SET status='Running', input=?, custom_status=?,"
                    " updated=?, execution_id=?, state='{}' WHERE id=?",
                    (new_input, custom_json, to_ts(at), execution_id, iid),
                )
                post(db, iid, "start", started, at, execution_id=execution_id)


# ------------------------------------------------------------------------ transactions


@contextmanager
def savepoint(db: Any, name: str = "item") -> Iterator[None]:
    """One unit inside a shared transaction: an exception undoes it alone, then propagates."""
    db.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        db.execute(f"ROLLBACK TO {name}")
        raise
    finally:
        db.execute(f"RELEASE {name}")


# -------------------------------------------------------------------------------- work


def has_work_after(conn: Any, cursor: int) -> bool:
    return conn.execute("SELECT 1 FROM work WHERE id > ? LIMIT 1", (cursor,)).fetchone() is not None


def work_after(conn: Any, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` work items queued after ``cursor`` (a work id), oldest first."""
    rows = conn.execute("SELECT * FROM work WHERE id > ? ORDER BY id LIMIT ?", (cursor, limit))
    return [dict(r) for r in rows]


def take_work(db: Any, work_id: int) -> bool:
    """Remove a finished work item; False when it was gone (its instance ended or restarted)."""
    return bool(db.execute("DELETE FROM work WHERE id=?", (work_id,)).rowcount)


# ---------------------------------------------------------------------------- entities


def runnable_entities(conn: Any, now: datetime, exclude: set[str], limit: int) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM entity_inbox WHERE visible_at <= ? ORDER BY id LIMIT ?",
        (to_ts(now), limit + len(exclude)),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in exclude][:limit]


def entity_messages(
    conn: Any, entity_id: str, now: datetime, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """The entity's due operations, in arrival order: (message id, message)."""
    rows = conn.execute(
        "SELECT id, message FROM entity_inbox WHERE entity_id=? AND visible_at<=?"
        " ORDER BY id LIMIT ?",
        (entity_id, to_ts(now), limit),
    )
    return [(r[0], json.loads(r[1])) for r in rows]


def save_entity_batch(
    db: Any, entity: EntityRow | None, entity_id: str, handled: list[int], responses: list[d.Post]
) -> None:
    """Commit an entity's batch: its messages taken, its new state (None: it no longer
    exists), and the responses to the orchestrations that called it."""
    db.executemany("DELETE FROM entity_inbox WHERE id=?", [(i,) for i in handled])
    if entity is not None:
        db.execute(
            "INSERT INTO entities (id, name, key, state, updated) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET state=excluded.state, updated=excluded.updated",
            (entity.id, entity.name, entity.key, entity.state, to_ts(entity.updated)),
        )
    else:
        db.execute("DELETE FROM entities WHERE id=?", (entity_id,))
    for response in responses:
        post(
            db,
            response.instance_id,
            response.kind,
            response.event,
            response.visible_at,
            response.execution_id,
            response.name,
        )
