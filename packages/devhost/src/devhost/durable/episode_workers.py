"""Orchestrations and activities in worker processes, as the Functions host runs functions.

With ``FUNCTIONS_WORKER_PROCESS_COUNT`` = N, N processes each load the app and run the
episodes of their share of the instances (by a hash of the instance id): each reads the due
messages, replays the SDK and commits, in a loop, with its own SQLite connection and without
sharing a GIL with the host. The host keeps HTTP, the API's writes, entities and the clock; it
tells a worker when something was written that may be runnable (``wake``, with the time) and
hears back after each committed batch (``ran``) and when nothing is runnable (``idle``).
Wakes while a worker is busy are folded into one that is sent when it reports idle, so a
worker is never left idle with work pending.

Each worker also runs the activities of its share, sent by the host on a second pipe
(``activities.ActivityChannel``); their results come back to the host, which records them
with its group commit as it does for activities it runs itself.

Writers of both processes queue on the store's file lock (``Store.tx``). A worker whose host
died (kill -9) sees its pipe close and exits; a commit checks that the messages it consumed
are still queued, so an episode is never applied twice even by such a straggler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ..loader import load_app
from .activities import ActivityChannel, ActivityResult, serve_activities
from .orchestrations import FAILED_EPISODE_PAUSE_S, OrchestrationEngine
from .store import Store

__all__ = ["EpisodeWorkers", "WorkerSpec"]

log = logging.getLogger("devhost.durable")

_RESTART_PAUSE_S = 1.0
_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs to run episodes like the host would."""

    app_dir: str
    environ: dict[str, str]
    store_path: str
    default_version: str | None
    version_match: str
    version_failure: str
    virtual_clock: bool
    max_episodes: int
    log_level: int
    partition: tuple[int, int] = (0, 1)  # (this worker, of how many)
    max_activities: int = 0  # at once in this worker; 0: activities stay in the host
    output_types: tuple[str, ...] = ()  # output bindings the host delivers


# ------------------------------------------------------------------------- worker process
def _serve(conn: Connection, activity_conn: Connection, spec: WorkerSpec) -> None:
    """The worker process: load the app, then run episodes whenever the host says so, and
    the activities it sends."""
    # Ctrl+C reaches the whole process group: the host stops its workers itself, after the
    # batch they are committing, rather than have them interrupted halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=spec.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        os.environ.update(spec.environ)
        os.chdir(spec.app_dir)
        app = load_app(Path(spec.app_dir))
        engine = OrchestrationEngine(
            Store(Path(spec.store_path)),
            app.by_trigger("orchestrationTrigger"),
            default_version=spec.default_version,
            version_match=spec.version_match,
            version_failure=spec.version_failure,
        )
    except BaseException as exc:  # the traceback goes to stderr as the process ends
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        raise
    if spec.max_activities:
        serve_activities(
            activity_conn,
            spec.app_dir,
            app.by_trigger("activityTrigger"),
            list(spec.output_types),
            threads=spec.max_activities,
        )
    conn.send(("ready",))
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        _Loop(conn, spec, engine).run()


class _Loop:
    def __init__(self, conn: Connection, spec: WorkerSpec, engine: OrchestrationEngine) -> None:
        self.conn, self.spec, self.engine = conn, spec, engine
        self.now: datetime | None = None
        self.seen = 0  # the last wake read from the host
        self.paused: dict[str, float] = {}  # instance id -> when it may run again (monotonic)

    def run(self) -> None:
        while True:
            # Wait for the host, or until an episode that failed may be offered again.
            if self.conn.poll(self._until_unpaused()) and not self._receive():
                return
            if not self._work():
                return

    def _receive(self) -> bool:
        """Take every message waiting; False when the host says stop."""
        while True:
            message = self.conn.recv()  # EOFError when the host is gone
            if message[0] == "stop":
                return False
            _, self.seen, self.now = message
            if not self.conn.poll():
                return True

    def _work(self) -> bool:
        """Run batches until nothing is runnable, then tell the host; False on stop."""
        while True:
            now = self._clock()
            moment = time.monotonic()
            self.paused = {i: t for i, t in self.paused.items() if t > moment}
            ids = self.engine.runnable(
                now, set(self.paused), self.spec.max_episodes, self.spec.partition
            )
            if not ids:
                break
            outcome = self.engine.run_episodes(ids, now)
            for failed in outcome.failed:
                self.paused[failed] = moment + FAILED_EPISODE_PAUSE_S
            self.conn.send(("ran", outcome.sent_to_entities))
            if self.conn.poll() and not self._receive():
                return False
        self.conn.send(("idle", self.seen))
        return True

    def _clock(self) -> datetime:
        # The virtual clock is the host's alone; the real one reads the same here.
        if self.spec.virtual_clock and self.now is not None:
            return self.now
        return datetime.now(UTC)

    def _until_unpaused(self) -> float | None:
        if not self.paused:
            return None
        return max(0.0, min(self.paused.values()) - time.monotonic())


# ---------------------------------------------------------------------------- host side
class _Worker:
    """The host's end of one worker process.

    Wakes are numbered; the worker answers ``idle`` with the number of the last one it read,
    so the host knows whether a wake is still in the pipe. While one is outstanding, further
    wakes only remember the newest time, and one wake carries it when the worker is idle."""

    def __init__(self, spec: WorkerSpec, on_ran: Callable[[bool], None]) -> None:
        self.spec = spec
        self._on_ran = on_ran
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._activity_conn: Connection | None = None
        self.activities = ActivityChannel(spec.max_activities)
        self._sent = 0  # number of the last wake sent
        self._done = 0  # number of the last wake the worker finished
        self._pending: datetime | None = None
        self._closing = False
        self._restarting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Spawn the process and wait until it has loaded the app (blocking)."""
        # spawn, not fork: the host has threads and an event loop that a fork would copy.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        activities_ours, activities_theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_serve,
            args=(theirs, activities_theirs, self.spec),
            daemon=True,
            name=f"devhost-worker-{self.spec.partition[0]}",
        )
        process.start()
        # So that the worker's exit closes the pipes for us.
        theirs.close()
        activities_theirs.close()
        try:
            if ours.poll(_START_TIMEOUT_S):
                message = ours.recv()
            else:  # an app whose import hangs: the host's own import did not, but be sure
                process.kill()
                message = ("failed", f"it did not load the app in {_START_TIMEOUT_S:.0f} s")
        except EOFError:
            process.join(5)
            message = ("failed", f"it exited with code {process.exitcode}")
        if message[0] != "ready":
            ours.close()
            activities_ours.close()
            raise RuntimeError(f"episode worker did not start: {message[1]}")
        if self._closing:  # the host began to stop while this one started
            ours.send(("stop",))
            ours.close()
            activities_ours.close()
            process.join(10)
            return
        self._process, self._conn, self._activity_conn = process, ours, activities_ours
        self._sent = self._done = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._conn is not None
        assert self._activity_conn is not None
        loop.add_reader(self._conn.fileno(), self._readable, loop)
        self.activities.attach(self._activity_conn, loop, self._activities_lost)

    def _activities_lost(self) -> None:
        # Its activity pipe closed: the process died (its episode pipe tells the same and
        # it is started again), or only its activity thread did, which must not leave the
        # activities stranded: end the process, so that it is started again all the same.
        process = self._process
        if not self._closing and process is not None and process.is_alive():
            log.error("worker %d stopped running activities; ending it", self.spec.partition[0])
            process.kill()

    def wake(self, now: datetime) -> None:
        if self._conn is None or self._sent > self._done:
            self._pending = now
            return
        self._send(now)

    def _send(self, now: datetime) -> None:
        assert self._conn is not None
        self._sent += 1
        self._pending = None
        # If it died, the reader sees the pipe close and starts another.
        with contextlib.suppress(OSError):
            self._conn.send(("wake", self._sent, now))

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._conn is not None and self._process else None

    def busy(self) -> bool:
        return self._conn is None or self._sent > self._done or self._pending is not None

    def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while conn.poll():
                message = conn.recv()
                if message[0] == "ran":
                    self._on_ran(bool(message[1]))
                elif message[0] == "idle":
                    self._done = max(self._done, int(message[1]))
                    if self._done >= self._sent and self._pending is not None:
                        self._send(self._pending)
        except (EOFError, OSError):
            self._lost(loop)

    def _lost(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._conn is not None
        loop.remove_reader(self._conn.fileno())
        self._conn.close()
        self._conn = None
        self.activities.detach(loop)  # what it was running is sent to the next one
        if self._closing:
            return
        code = self._process.exitcode if self._process is not None else None
        log.error(
            "episode worker %d ended (exit code %s); starting another", self.spec.partition[0], code
        )
        self._restarting = loop.create_task(self._restart(loop))

    async def _restart(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self._closing:
            await asyncio.sleep(_RESTART_PAUSE_S)
            try:
                await loop.run_in_executor(None, self.start)
            except Exception:
                log.exception("episode worker %d did not start again", self.spec.partition[0])
                continue
            if self._closing:
                return
            self.attach(loop)
            self._on_ran(False)  # the host's loops look again, and wake this worker
            return

    def close(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._closing = True
        if self._restarting is not None:
            self._restarting.cancel()
        self.activities.detach(loop)
        self.activities.close()
        conn, process = self._conn, self._process
        if conn is not None and not conn.closed:
            if loop is not None:
                with contextlib.suppress(Exception):
                    loop.remove_reader(conn.fileno())
            with contextlib.suppress(OSError):
                conn.send(("stop",))
            conn.close()
        if process is not None:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)


class EpisodeWorkers:
    """N worker processes, each running the episodes and activities of its share of the
    instances (an activity goes to the worker of its instance, as its episodes do)."""

    def __init__(self, spec: WorkerSpec, processes: int, on_ran: Callable[[bool], None]) -> None:
        share = max(1, -(-spec.max_episodes // processes))
        self._workers = [
            _Worker(replace(spec, partition=(k, processes), max_episodes=share), on_ran)
            for k in range(processes)
        ]
        self._loop: asyncio.AbstractEventLoop | None = None

    def pids(self) -> list[int]:
        """The process ids of the workers now running (for operators and tests)."""
        return [w.pid for w in self._workers if w.pid is not None]

    async def start(self) -> None:
        """Start every worker (loading the app takes a while) and listen to them."""
        self._loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(
                *(self._loop.run_in_executor(None, w.start) for w in self._workers)
            )
        except BaseException:
            self.close()
            raise
        for worker in self._workers:
            worker.attach(self._loop)

    def wake(self, now: datetime) -> None:
        for worker in self._workers:
            worker.wake(now)

    @property
    def runs_activities(self) -> bool:
        return self._workers[0].spec.max_activities > 0

    @property
    def activity_slots(self) -> int:
        """How many activities may run at once in all the workers together."""
        return sum(worker.activities.limit for worker in self._workers)

    def run_activity(self, work: dict[str, Any]) -> asyncio.Future[ActivityResult]:
        """Send ``work`` (a row of the work table) to the worker with the fewest activities in
        flight. An activity, unlike an episode, has no state in its process: the Functions host
        too spreads invocations over its language workers, so each worker's
        ``maxConcurrentActivityFunctions`` adds to what runs at once."""
        worker = min(self._workers, key=lambda w: w.activities.in_flight())
        return worker.activities.run(work)

    def busy(self) -> bool:
        return any(worker.busy() for worker in self._workers)

    def close(self) -> None:
        for worker in self._workers:
            worker.close(self._loop)
