"""Orchestration instances: create, run episodes (in batches), rewind.

An episode takes the messages due for one instance, appends them to its history after an
``OrchestratorStarted`` event, lets the SDK replay the history (the worker's protocol) and
turns the actions it has not seen before into history events and outgoing work: a decision
(``episode.Episode``) that the store applies (``instance_store.apply``), with no SQL here. The
host runs episodes on its engine threads, or each episode worker process runs its share
(``episode_workers``); either way through ``run_episodes``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..loader import FunctionInfo
from . import instance_store, sdk_fastpaths
from .episode import Episode
from .instance_store import StaleEpisode
from .protocol import call_orchestrator
from .rows import InstanceRow
from .store import Store

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
        instance_store.upgrade_history(store)

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
        version = version if version is not None else self.default_version
        instance_store.create(
            db, name, instance_id, input_json, now, version, uuid.uuid4().hex, parent
        )

    post = staticmethod(instance_store.post)

    # ------------------------------------------------------------------------------ queries
    def runnable(
        self, now: datetime, exclude: set[str], limit: int, partition: tuple[int, int] = (0, 1)
    ) -> list[str]:
        """Instances with a message due now, oldest first; ``partition`` (k, n) keeps those
        that episode worker k of n runs."""
        return instance_store.runnable(self.store.conn(), now, exclude, limit, partition)

    def next_due(self, now: datetime) -> datetime | None:
        return instance_store.next_due(self.store.conn(), now)

    # ------------------------------------------------------------------------------ episode
    def run_episode(self, instance_id: str, now: datetime) -> Episode | None:
        """Read the instance and its due messages; the caller runs and commits the plan."""
        db = self.store.conn()
        inst = instance_store.instance(db, instance_id)
        rows = instance_store.due_messages(db, instance_id, now)
        if inst is None:
            with self.store.tx() as tx:
                instance_store.drop_messages(tx, instance_id)
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
                calls.append((plan, plan.inst.name, body))
        if calls:
            results = self.replay([(name, body) for _, name, body in calls])
            for (plan, _, _), result in zip(calls, results, strict=True):
                plan.result = result
        if plans:
            with self.store.tx() as tx:
                for plan in plans:
                    try:
                        with instance_store.savepoint(tx, "episode"):
                            instance_store.apply(tx, plan.decide())
                    except StaleEpisode as stale:
                        log.warning("episode of %s not applied: %s", plan.iid, stale)
                    except Exception:
                        log.exception("episode of %s failed; it will be retried", plan.iid)
                        outcome.failed.append(plan.iid)
                    else:
                        outcome.sent_to_entities |= plan.sent_to_entities
        return outcome

    def replay(self, calls: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Let the SDK run orchestrator episodes: (name, context JSON) -> state."""
        return [call_orchestrator(self.orchestrators[name].func, body) for name, body in calls]

    # ------------------------------------------------------------------------------ control
    @staticmethod
    def rewind(db: Any, inst: InstanceRow, reason: str, now: datetime) -> None:
        """Forget the failures of a Failed instance and run the failed tasks again."""
        instance_store.rewind(db, inst, reason, now)
