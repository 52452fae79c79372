"""The durable engine's dispatch loops: orchestration episodes, activities and entity batches.

Reads happen on the event loop (SQLite WAL readers never wait for the writer); episodes run
in worker processes (``episode_workers``; the loop here only wakes them) or, in-process, on a
small pool of engine threads with the entity batches. Activities are read here and run in the
worker process of their instance (``activities``), or in-process through the invoker, with at
most ``maxConcurrentActivityFunctions`` at once per process that runs them. Activity results
and the HTTP API's writes are group-committed (see ``write``). Work handed out is tracked in
memory, so after a crash every activity without a recorded result simply runs again
(at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..invoker import Invoker
from ..loader import FunctionInfo, LoadedApp
from . import instance_store
from .activities import ActivityResult, run_activity
from .entities import EntityEngine
from .episode_workers import EpisodeWorkers
from .history import EventType, event
from .http_activity import run_http_request
from .orchestrations import FAILED_EPISODE_PAUSE_S, OrchestrationEngine
from .protocol import HTTP_ACTIVITY, failure_fields
from .store import Store

__all__ = ["DurableEngine"]

log = logging.getLogger("devhost.durable")

EPISODE_BATCH = 32
# A queued write: fn(db, *args), and the future of whoever waits for its outcome (or None).
_Write = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any] | None"]


class DurableEngine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        invoker: Invoker,
        app: LoadedApp,
        durable_settings: dict[str, Any],
        cpu_count: int = 2,
    ) -> None:
        self.store = store
        self.clock = clock
        self.invoker = invoker
        versioning = durable_settings
        self.orch = OrchestrationEngine(
            store,
            app.by_trigger("orchestrationTrigger"),
            default_version=str(versioning["defaultVersion"])
            if versioning.get("defaultVersion")
            else None,
            version_match=str(versioning.get("versionMatchStrategy", "None")),
            version_failure=str(versioning.get("versionFailureStrategy", "Reject")),
        )
        self.entities = EntityEngine(store, app.by_trigger("entityTrigger"))
        self.activities: dict[str, FunctionInfo] = app.by_trigger("activityTrigger")
        self.max_activities = int(
            durable_settings.get("maxConcurrentActivityFunctions", 10 * cpu_count)
        )
        self.max_orchestrations = int(
            durable_settings.get("maxConcurrentOrchestratorFunctions", 10 * cpu_count)
        )
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="durable")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakers: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._episodes: set[str] = set()
        self._paused: set[str] = set()
        self._entity_batches: set[str] = set()
        self._activities: set[int] = set()
        self._activity_cursor = 0
        self._writes: list[_Write] = []
        self._flushing = 0
        self._stopping = False
        self._inflight: set[asyncio.Task[None]] = set()
        # Where episodes run: on the engine threads, or in worker processes when set.
        self.episode_workers: EpisodeWorkers | None = None

    # --------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakers = {
            name: asyncio.Event() for name in ("episodes", "entities", "work", "writes")
        }
        self._tasks = [
            asyncio.create_task(self._orchestration_loop(), name="devhost-orchestrations"),
            asyncio.create_task(self._entity_loop(), name="devhost-entities"),
            asyncio.create_task(self._activity_loop(), name="devhost-activities"),
            asyncio.create_task(self._write_loop(), name="devhost-writes"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self, *loops: str) -> None:
        """Something was written that may be runnable; safe to call from any thread.

        ``loops`` names the dispatch loops that can have new work ("episodes", "entities",
        "work", "writes"); none means all of them. Waking a loop costs a query, so the
        engine's own steps name only the loops their writes feed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._set_wakers(loops)
        else:
            loop.call_soon_threadsafe(self._set_wakers, loops)

    def _set_wakers(self, loops: tuple[str, ...]) -> None:
        for name in loops or self._wakers:
            self._wakers[name].set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._pool, fn, *args)

    def busy(self) -> bool:
        """True while anything is running or runnable now (future timers do not count)."""
        if self._episodes or self._entity_batches or self._activities:
            return True
        if self.episode_workers is not None and self.episode_workers.busy():
            return True
        if self._writes or self._flushing:
            return True
        now = self.clock.now()
        if self.orch.runnable(now, set(), 1) or self.entities.runnable(now, set(), 1):
            return True
        return instance_store.has_work_after(self.store.conn(), self._activity_cursor)

    async def _idle_wait(self, loop_name: str, next_due: datetime | None) -> None:
        waker = self._wakers[loop_name]
        if next_due is None:
            await waker.wait()
            waker.clear()
            return
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(waker.wait())]
        if next_due is not None:
            waiters.append(asyncio.create_task(self.clock.sleep_until(next_due)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            for waiter in waiters:
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        waker.clear()

    async def _guard(self, what: str, body: Callable[[], Awaitable[None]]) -> None:
        """Keep a loop alive across unexpected errors (a host must not die of one bad item)."""
        while not self._stopping:
            try:
                await body()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("devhost %s loop error; continuing", what)
                await asyncio.sleep(0.2)

    # ------------------------------------------------------------------------ orchestrations
    async def _orchestration_loop(self) -> None:
        await self._guard("orchestration", self._orchestration_step)

    async def _orchestration_step(self) -> None:
        if self.episode_workers is not None:
            await self._wake_workers_step(self.episode_workers)
            return
        while not self._stopping:
            now = self.clock.now()
            free = self.max_orchestrations - len(self._episodes)
            busy = self._episodes | self._paused
            ids = self.orch.runnable(now, busy, free) if free > 0 else []
            if not ids:
                await self._idle_wait("episodes", self.orch.next_due(now) if free > 0 else None)
                continue
            self._episodes.update(ids)
            for start in range(0, len(ids), EPISODE_BATCH):
                batch = ids[start : start + EPISODE_BATCH]
                self._spawn(self._run_episodes(batch))

    async def _wake_workers_step(self, workers: EpisodeWorkers) -> None:
        """The workers find their runnable episodes themselves; the host tells them when
        something was written, and when the clock reaches a message due later."""
        while not self._stopping:
            now = self.clock.now()
            workers.wake(now)
            await self._idle_wait("episodes", self.orch.next_due(now))

    def workers_ran(self, sent_to_entities: bool) -> None:
        """A worker committed a batch: its activities (and entity messages) are queued."""
        self.wake("work", "episodes", *(("entities",) if sent_to_entities else ()))

    async def _run_episodes(self, ids: list[str]) -> None:
        wakes: tuple[str, ...] = ("episodes", "work")
        try:
            outcome = await self.in_thread(self.orch.run_episodes, ids, self.clock.now())
            if outcome.sent_to_entities:
                wakes += ("entities",)
            self._pause(outcome.failed)
        except Exception:
            log.exception("episodes of %s failed; their messages stay queued", ids)
            self._pause(ids)
        finally:
            self._episodes.difference_update(ids)
            self.wake(*wakes)

    def _pause(self, ids: list[str]) -> None:
        if not ids:
            return
        self._paused.update(ids)
        assert self._loop is not None

        def resume() -> None:
            self._paused.difference_update(ids)
            self.wake("episodes")

        self._loop.call_later(FAILED_EPISODE_PAUSE_S, resume)

    # ------------------------------------------------------------------------------ entities
    async def _entity_loop(self) -> None:
        await self._guard("entity", self._entity_step)

    async def _entity_step(self) -> None:
        while not self._stopping:
            now = self.clock.now()
            ids = self.entities.runnable(now, self._entity_batches, 16)
            if not ids:
                await self._idle_wait("entities", None)
                continue
            self._entity_batches.update(ids)
            for entity_id in ids:
                self._spawn(self._run_entity(entity_id))

    async def _run_entity(self, entity_id: str) -> None:
        try:
            await self.in_thread(self.entities.run_batch, entity_id, self.clock.now())
        except Exception:
            log.exception("entity batch of %s failed; it will be retried", entity_id)
        finally:
            self._entity_batches.discard(entity_id)
            self.wake("entities", "episodes")

    # ---------------------------------------------------------------------------- activities
    async def _activity_loop(self) -> None:
        await self._guard("activity", self._activity_step)

    async def _activity_step(self) -> None:
        while not self._stopping:
            workers = self.episode_workers
            slots = (
                workers.activity_slots
                if workers is not None and workers.runs_activities
                else self.max_activities
            )
            free = slots - len(self._activities)
            rows = (
                instance_store.work_after(self.store.conn(), self._activity_cursor, free)
                if free > 0
                else []
            )
            if not rows:
                await self._idle_wait("work", None)
                continue
            for row in rows:
                self._activity_cursor = max(self._activity_cursor, row["id"])
                self._activities.add(row["id"])
                self._spawn(self._run_activity(row))

    async def _run_activity(self, work: dict[str, Any]) -> None:
        try:
            outcome = await self._execute(work)
        except Exception as exc:  # the host's own failure to run it: record, never crash
            outcome = event(
                EventType.TaskFailed,
                self.clock.now(),
                TaskScheduledId=work["task_id"],
                **failure_fields(exc, f"Activity function '{work['name']}'"),
            )
        self._writes.append((self._record_result, (work, outcome), None))
        self._activities.discard(work["id"])
        self.wake("writes", "work")

    async def _execute(self, work: dict[str, Any]) -> dict[str, Any]:
        task_id, name = work["task_id"], work["name"]
        if work["kind"] == "http" or name == HTTP_ACTIVITY:
            result = await run_http_request(json.loads(work["input"]), self.clock)
            return event(
                EventType.TaskCompleted,
                self.clock.now(),
                TaskScheduledId=task_id,
                Result=json.dumps(result),
            )
        fn = self.activities.get(name)
        if fn is None:
            return event(
                EventType.TaskFailed,
                self.clock.now(),
                TaskScheduledId=task_id,
                Reason=f"The function '{name}' doesn't exist, is disabled, or is not an"
                " activity function.",
                Details="",
            )
        workers = self.episode_workers
        outcome: ActivityResult
        if workers is not None and workers.runs_activities:
            outcome = await workers.run_activity(work)
            for binding, datum in outcome.outputs:  # encoded there, delivered by our sinks
                await self.invoker.deliver(binding, datum)
        else:
            outcome = await run_activity(self.invoker, fn, work["input"])
        kind = EventType.TaskCompleted if outcome.ok else EventType.TaskFailed
        return event(kind, self.clock.now(), TaskScheduledId=task_id, **outcome.fields)

    # -------------------------------------------------------------------------- group commit
    async def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(db, *args)`` in a transaction shared with the writes queued meanwhile.

        Each commit has a fixed cost (WAL frames for every page touched), so the writes that
        arrive together (instance starts, events, activity results) share one. Each write has
        its own savepoint: one that raises is undone alone and its caller gets the error."""
        assert self._loop is not None
        future: asyncio.Future[Any] = self._loop.create_future()
        self._writes.append((fn, args, future))
        self.wake("writes")
        return await future

    async def _write_loop(self) -> None:
        await self._guard("write", self._write_step)

    async def _write_step(self) -> None:
        while not self._stopping:
            if not self._writes:
                await self._idle_wait("writes", None)
                continue
            batch, self._writes = self._writes, []
            self._flushing += 1
            failed = False
            try:
                outcomes = await self.in_thread(self._write_group, batch)
            except Exception as exc:  # the commit itself failed: none of them was written
                outcomes = [(False, exc)] * len(batch)
                failed = True
                log.exception("a group of %d writes failed; results are queued again", len(batch))
                # Callers hear the error; activity results (nobody waits for them) go back to
                # the queue, so that a passing failure (a lock timeout, a full disk) loses none.
                self._writes[:0] = [item for item in batch if item[2] is None]
            finally:
                self._flushing -= 1
            for (_, _, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future is not None and not future.done():
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
            # Activity results feed episodes only; the API's writes (starts, events, signals
            # to entities, a rewind's work) can feed every loop.
            if any(future is not None for _, _, future in batch):
                self.wake()
            else:
                self.wake("episodes")
            if failed:
                await asyncio.sleep(0.2)

    def _write_group(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self.store.tx() as db:
            for fn, args, _ in batch:
                try:
                    with instance_store.savepoint(db):
                        outcomes.append((True, fn(db, *args)))
                except Exception as exc:
                    outcomes.append((False, exc))
        return outcomes

    def _record_result(self, db: Any, work: dict[str, Any], outcome: dict[str, Any] | None) -> None:
        gone = not instance_store.take_work(db, work["id"])
        if gone or outcome is None:
            return  # the instance ended or restarted meanwhile
        self.orch.post(
            db,
            work["instance_id"],
            "completion",
            outcome,
            self.clock.now(),
            execution_id=work["execution_id"],
        )
