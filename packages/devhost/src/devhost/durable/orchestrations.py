"""Orchestration instances: create, run episodes (in batches), finish, rewind.

An episode takes the messages due for one instance, appends them to its history after an
``OrchestratorStarted`` event, lets the SDK replay the history (the worker's protocol) and
turns the actions it has not seen before into history events and outgoing work
(``episode.Episode``). The host runs episodes on its engine threads, or each episode worker
process runs its share (``episode_workers``); either way through ``run_episodes``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..loader import FunctionInfo
from . import sdk_fastpaths
from .episode import Episode, Progress, StaleEpisode
from .history import EventType, event
from .instance_store import INSTANCE_TABLES, InstanceRow, instance
from .protocol import HTTP_ACTIVITY, REPLAYED, call_orchestrator
from .store import Store, from_ts, to_ts

__all__ = ["FAILED_EPISODE_PAUSE_S", "Batch", "OrchestrationEngine"]

log = logging.getLogger("devhost.durable")

# An episode whose run failed (a devhost bug or a storage error, never user code: the SDK
# turns that into a failed orchestration) is offered again after this pause, not at once.
FAILED_EPISODE_PAUSE_S = 1.0


@dataclass
class Batch:
    """What a batch of episodes did that the host's other loops care about."""

    sent_to_entities: bool = False
    failed: list[str] = field(default_factory=list)  # to be offered again after a pause


class OrchestrationEngine:
    """Runs episodes. All methods are synchronous and run on worker threads."""

    def __init__(
        self,
        store: Store,
        orchestrators: dict[str, FunctionInfo],
        default_version: str | None = None,
        version_match: str = "None",
        version_failure: str = "Reject",
    ) -> None:
        self.store = store
        self.orchestrators = orchestrators
        self.default_version = default_version
        self.version_match = version_match.lower()
        self.version_failure = version_failure.lower()
        sdk_fastpaths.install()
        self._upgrade_history()

    def _upgrade_history(self) -> None:
        """Add the ``replayed`` flag to a store written before it existed."""
        db = self.store.conn()
        columns = {row[1] for row in db.execute("PRAGMA table_info(history)")}
        if "replayed" in columns:
            return
        with self.store.tx() as tx:
            tx.execute("ALTER TABLE history ADD COLUMN replayed INTEGER NOT NULL DEFAULT 1")
            tx.execute(
                "UPDATE history SET replayed ="
                f" json_extract(event, '$.EventType') IN ({','.join('?' * len(REPLAYED))})",
                tuple(int(kind) for kind in REPLAYED),
            )

    # ----------------------------------------------------------------------------- starting
    def create(
        self,
        db: Any,
        name: str,
        instance_id: str,
        input_json: str | None,
        now: datetime,
        version: str | None = None,
        parent: tuple[str, int, str] | None = None,
    ) -> None:
        """Create (or replace) an instance and queue its ExecutionStarted; caller holds a tx."""
        execution_id = uuid.uuid4().hex
        version = version if version is not None else self.default_version
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
        self.post(db, instance_id, "start", started, now, execution_id=execution_id)

    @staticmethod
    def post(
        db: Any,
        instance_id: str,
        kind: str,
        evt: dict[str, Any],
        visible_at: datetime,
        execution_id: str | None = None,
        name: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO inbox (instance_id, execution_id, kind, name, event, visible_at)"
            " VALUES (?,?,?,?,?,?)",
            (instance_id, execution_id, kind, name, json.dumps(evt), to_ts(visible_at)),
        )

    # ------------------------------------------------------------------------------ queries
    def runnable(
        self, now: datetime, exclude: set[str], limit: int, partition: tuple[int, int] = (0, 1)
    ) -> list[str]:
        """Instances with a message due now, oldest first; ``partition`` (k, n) keeps those
        that episode worker k of n runs."""
        mine, partitions = partition
        rows = (
            self.store.conn()
            .execute(
                "SELECT DISTINCT i.instance_id FROM inbox i"
                " JOIN instances s ON s.id = i.instance_id"
                " WHERE i.visible_at <= ?"
                + (" AND partition_of(i.instance_id, ?) = ?" if partitions > 1 else "")
                + " AND (s.status != 'Suspended' OR i.kind IN ('resume', 'terminate'))"
                " AND (i.kind != 'event' OR EXISTS (SELECT 1 FROM waiting w WHERE"
                "      w.instance_id = i.instance_id AND w.name = i.name AND w.count > 0)"
                "      OR s.status IN ('Completed', 'Failed', 'Terminated'))"
                " ORDER BY i.id LIMIT ?",
                (to_ts(now), *((partitions, mine) if partitions > 1 else ()),
                 limit + len(exclude)),
            )
            .fetchall()
        )
        return [r[0] for r in rows if r[0] not in exclude][:limit]

    def next_due(self, now: datetime) -> datetime | None:
        row = (
            self.store.conn()
            .execute("SELECT MIN(visible_at) FROM inbox WHERE visible_at > ?", (to_ts(now),))
            .fetchone()
        )
        return from_ts(row[0]) if row and row[0] else None

    # ------------------------------------------------------------------------------ episode
    def run_episode(self, instance_id: str, now: datetime) -> Episode | None:
        """Read the instance and its due messages; the caller runs and commits the plan."""
        db = self.store.conn()
        inst = db.execute("SELECT * FROM instances WHERE id=?", (instance_id,)).fetchone()
        rows = db.execute(
            "SELECT * FROM inbox WHERE instance_id=? AND visible_at<=? ORDER BY id",
            (instance_id, to_ts(now)),
        ).fetchall()
        if inst is None:
            with self.store.tx() as tx:
                tx.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))
            return None
        if not rows:
            return None
        plan = Episode(self, inst, rows, now)
        plan.prepare()
        return plan

    def run_episodes(self, instance_ids: list[str], now: datetime) -> Batch:
        """Run the episodes of several instances and commit them in one transaction, each
        in its own savepoint: one that fails is undone alone and its messages stay queued."""
        outcome = Batch()
        plans = []
        calls: list[tuple[Episode, str, str]] = []
        for iid in instance_ids:
            try:
                plan = self.run_episode(iid, now)
                if plan is None:
                    continue
                body = plan.build_context() if plan.should_run else None
            except Exception:
                log.exception("episode of %s failed; it will be retried", iid)
                outcome.failed.append(iid)
                continue
            plans.append(plan)
            if body is not None:
                calls.append((plan, plan.inst["name"], body))
        if calls:
            results = self.replay([(name, body) for _, name, body in calls])
            for (plan, _, _), result in zip(calls, results, strict=True):
                plan.result = result
        if plans:
            with self.store.tx() as tx:
                for plan in plans:
                    tx.execute("SAVEPOINT episode")
                    try:
                        plan.commit(tx)
                    except StaleEpisode as stale:
                        tx.execute("ROLLBACK TO episode")
                        log.warning("episode of %s not applied: %s", plan.iid, stale)
                    except Exception:
                        tx.execute("ROLLBACK TO episode")
                        log.exception("episode of %s failed; it will be retried", plan.iid)
                        outcome.failed.append(plan.iid)
                    else:
                        outcome.sent_to_entities |= plan.sent_to_entities
                    tx.execute("RELEASE episode")
        return outcome

    def replay(self, calls: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Let the SDK run orchestrator episodes: (name, context JSON) -> state."""
        return [call_orchestrator(self.orchestrators[name].func, body) for name, body in calls]

    # ------------------------------------------------------------------------------ control
    def terminate(self, db: Any, inst: Any, reason: str, now: datetime) -> None:
        self.finish(
            db,
            inst,
            "Terminated",
            json.dumps(reason),
            now,
            [event(EventType.ExecutionTerminated, now, Input=json.dumps(reason))],
        )

    def finish(
        self,
        db: Any,
        inst: Any,
        status: str,
        output_json: str | None,
        now: datetime,
        events: list[dict[str, Any]],
        custom_status: Any = ...,
    ) -> None:
        """End the execution, drop its pending work and tell the parent orchestration."""
        iid = inst["id"]
        self._append(db, iid, events)
        db.execute("DELETE FROM work WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM inbox WHERE instance_id=? AND kind != 'event'", (iid,))
        db.execute("DELETE FROM waiting WHERE instance_id=?", (iid,))
        if custom_status is ...:
            db.execute(
                "UPDATE instances SET status=?, output=?, updated=? WHERE id=?",
                (status, output_json, to_ts(now), iid),
            )
        else:
            db.execute(
                "UPDATE instances SET status=?, output=?, custom_status=?, updated=? WHERE id=?",
                (status, output_json, custom_status, to_ts(now), iid),
            )
        if inst["parent_id"]:
            parent = db.execute(
                "SELECT execution_id FROM instances WHERE id=?", (inst["parent_id"],)
            ).fetchone()
            if parent is not None:
                if status == "Completed":
                    evt = event(
                        EventType.SubOrchestrationInstanceCompleted,
                        now,
                        TaskScheduledId=inst["parent_task"],
                        Result=output_json,
                    )
                else:
                    reason = json.loads(output_json) if output_json else status
                    evt = event(
                        EventType.SubOrchestrationInstanceFailed,
                        now,
                        TaskScheduledId=inst["parent_task"],
                        Reason=f"Sub-orchestration '{inst['name']}' ({iid}) {status.lower()}:"
                        f" {reason}",
                        Details=str(reason),
                    )
                self.post(
                    db,
                    inst["parent_id"],
                    "completion",
                    evt,
                    now,
                    execution_id=parent["execution_id"],
                )

    @staticmethod
    def _append(db: Any, instance_id: str, events: list[dict[str, Any]]) -> None:
        """Record events as the SDK replays them later: played, and flagged when a replay
        reads them at all, so that building the next context needs no JSON parsing."""
        row = db.execute(
            "SELECT COALESCE(MAX(n), -1) FROM history WHERE instance_id=?", (instance_id,)
        ).fetchone()
        start = int(row[0]) + 1
        db.executemany(
            "INSERT INTO history (instance_id, n, event, replayed) VALUES (?,?,?,?)",
            [
                (instance_id, start + i, json.dumps({**e, "IsPlayed": True}),
                 e["EventType"] in REPLAYED)
                for i, e in enumerate(events)
            ],
        )

    def rewind(self, db: Any, inst: InstanceRow, reason: str, now: datetime) -> None:
        """Forget the failures of a Failed instance and run the failed tasks again."""
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
            elif (
                e["EventType"] == EventType.SubOrchestrationInstanceCreated
                and e["EventId"] in failed
            ):
                child = instance(db, e["InstanceId"])
                if child is not None and child.status == "Failed":
                    self.rewind(db, child, reason, now)
        # Retry bookkeeping of the failed tasks starts over with the rewound attempt.
        progress = Progress.load(inst.state)
        for task in failed:
            progress.retries.pop(str(task), None)
        db.execute(
            "UPDATE instances SET status='Running', output=NULL, updated=?, state=? WHERE id=?",
            (to_ts(now), progress.dump(), iid),
        )
