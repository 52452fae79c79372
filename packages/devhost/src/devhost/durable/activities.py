"""Activity invocations: run one, in the host or in a worker process, and hand the result back.

``run_activity`` is the one way an activity is called, wherever it runs: its input decoded by
the ``activityTrigger`` converter, its result encoded by it, an exception turned into the
failure the SDK reads. As the Functions host sends invocations to its language workers, the
host here sends each activity to the worker process that runs its instance's episodes
(``ActivityChannel``, one per worker process), at most ``maxConcurrentActivityFunctions`` at
a time each. The worker runs them on an event loop of its own (``serve_activities``), sync
functions on a thread pool, so a slow activity holds one thread and nothing else.

Output bindings of an activity (a Service Bus message, say) are encoded in the worker and
delivered by the host's sinks, the only ones that know the brokers. A worker that dies takes
no activity with it: the channel keeps what it sent until a result comes back, and sends it
again to the worker started in its place (activities run at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from azure.functions import meta

from ..invoker import Invoker, converter
from ..loader import FunctionInfo
from .protocol import failure_fields

__all__ = ["ActivityChannel", "ActivityResult", "run_activity", "serve_activities"]

log = logging.getLogger("devhost.durable")


@dataclass
class ActivityResult:
    """What an invocation produced: ``Result`` (the encoded return value) when ``ok``, else
    the failure's ``Reason`` and ``Details``; and the output-binding values to deliver."""

    ok: bool
    fields: dict[str, Any]
    outputs: list[tuple[dict[str, Any], meta.Datum]] = field(default_factory=list)


def _trigger(input_json: str | None) -> meta.Datum:
    return meta.Datum(type="string", value=input_json if input_json is not None else "null")


def _completed(value: Any) -> ActivityResult:
    # A result the converter cannot encode fails the activity, as in the Python worker.
    encoded = converter("activityTrigger").encode(value, expected_type=None)
    return ActivityResult(True, {"Result": encoded.value})


def _failed(name: str, exc: BaseException) -> ActivityResult:
    return ActivityResult(False, failure_fields(exc, f"Activity function '{name}'"))


async def run_activity(
    invoker: Invoker, fn: FunctionInfo, input_json: str | None
) -> ActivityResult:
    """Call the activity ``fn`` with its JSON input, as the Python worker would; its output
    bindings go to ``invoker``'s sinks."""
    try:
        return _completed((await invoker.invoke(fn, _trigger(input_json))).value)
    except Exception as exc:
        return _failed(fn.name, exc)


def run_activity_here(
    invoker: Invoker, fn: FunctionInfo, input_json: str | None, output_types: Collection[str]
) -> ActivityResult:
    """The same for a sync activity, on this thread; its output values come back in the
    result, for the host's sinks (``output_types``) to deliver."""
    try:
        value, outputs = invoker.invoke_here(fn, _trigger(input_json), output_types)
        result = _completed(value)
    except Exception as exc:
        return _failed(fn.name, exc)
    result.outputs = outputs
    return result


# ------------------------------------------------------------------------- worker process
# The outputs of the async invocation running in this task (set per task).
_collected: contextvars.ContextVar[list[tuple[dict[str, Any], meta.Datum]]] = (
    contextvars.ContextVar("devhost_activity_outputs")
)


async def _collect(binding: dict[str, Any], datum: meta.Datum) -> None:
    _collected.get().append((binding, datum))


class _ActivityServer:
    """A worker's activities: ``threads`` threads take turns to read the next one from the
    pipe and run it there (a sync activity) or hand it to an event loop of its own (an
    ``async`` one), and send each result as soon as it is ready. Reading and running on one
    thread takes the GIL once per activity, not three times (reader, pool, sender): in a
    process whose main thread replays orchestrations, every extra switch costs."""

    def __init__(
        self,
        conn: Connection,
        app_dir: str,
        activities: dict[str, FunctionInfo],
        output_types: list[str],
        threads: int,
    ) -> None:
        self.conn = conn
        self.activities = activities
        self.output_types = frozenset(output_types)
        self.threads = max(1, threads)
        # The async invoker's sinks only collect: the host delivers (see module docstring).
        self.invoker = Invoker(app_dir, max_workers=self.threads)
        for binding_type in output_types:
            self.invoker.register_output(binding_type, _collect)
        self._receive_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._serve, name=f"devhost-activity-{n}", daemon=True)
            for n in range(self.threads)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _serve(self) -> None:
        """Until the host closes the pipe (it stops, or it died)."""
        while True:
            with self._receive_lock:
                try:
                    _, work_id, name, input_json = self.conn.recv()
                except (EOFError, OSError):
                    self._closed()
                    return
            fn = self.activities.get(name)
            if fn is None:  # the host checked; another app here would be a devhost bug
                self._send(
                    work_id,
                    name,
                    ActivityResult(
                        False, {"Reason": f"no activity {name!r} in this worker", "Details": ""}
                    ),
                )
            elif inspect.iscoroutinefunction(fn.func):
                asyncio.run_coroutine_threadsafe(
                    self._run_async(work_id, fn, input_json), self._event_loop()
                )
            else:
                self._send(
                    work_id,
                    fn.name,
                    run_activity_here(self.invoker, fn, input_json, self.output_types),
                )

    def _closed(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()  # so that the other threads see it closed too
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    async def _run_async(self, work_id: int, fn: FunctionInfo, input_json: str | None) -> None:
        outputs: list[tuple[dict[str, Any], meta.Datum]] = []
        _collected.set(outputs)
        result = await run_activity(self.invoker, fn, input_json)
        result.outputs = outputs
        self._send(work_id, fn.name, result)

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._send_lock:  # two threads must not start two loops
            if self._loop is None:  # only apps with async activities need one
                loop = self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="devhost-async-activities", daemon=True
                ).start()
            return self._loop

    def _send(self, work_id: int, name: str, result: ActivityResult) -> None:
        with self._send_lock:
            try:
                self.conn.send(("done", work_id, result))
            except OSError:
                return  # the host is gone: nobody to tell
            except Exception as exc:  # an output value that does not pickle
                self.conn.send(("done", work_id, _failed(name, exc)))


def serve_activities(
    conn: Connection,
    app_dir: str,
    activities: dict[str, FunctionInfo],
    output_types: list[str],
    threads: int,
) -> list[threading.Thread]:
    """In a worker process: run the activities the host sends on ``conn`` on ``threads``
    threads of their own (the main thread runs episodes), at most that many at once (the
    host sends no more). They end when the host closes the pipe."""
    return _ActivityServer(conn, app_dir, activities, output_types, threads).start()


# ---------------------------------------------------------------------------- host side
class ActivityChannel:
    """The host's end of one worker's activities: at most ``limit`` there at once, the rest
    queued here in order; what was sent and not answered is sent again after a restart."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._conn: Connection | None = None
        self._waiting: OrderedDict[int, tuple[dict[str, Any], asyncio.Future[ActivityResult]]] = (
            OrderedDict()
        )
        self._sent: dict[int, tuple[dict[str, Any], asyncio.Future[ActivityResult]]] = {}

    def attach(
        self, conn: Connection, loop: asyncio.AbstractEventLoop, on_lost: Callable[[], None]
    ) -> None:
        """A (new) worker process is up: listen to it and send it what it should run."""
        self._conn = conn
        loop.add_reader(conn.fileno(), self._readable, loop, on_lost)
        # What the last process took with it goes first, in the order it was sent.
        for work_id in sorted(self._sent):
            self._waiting[work_id] = self._sent.pop(work_id)
            self._waiting.move_to_end(work_id, last=False)
        self._send_waiting()

    def run(self, work: dict[str, Any]) -> asyncio.Future[ActivityResult]:
        future: asyncio.Future[ActivityResult] = asyncio.get_running_loop().create_future()
        self._waiting[int(work["id"])] = (work, future)
        self._send_waiting()
        return future

    def in_flight(self) -> int:
        return len(self._waiting) + len(self._sent)

    def _send_waiting(self) -> None:
        while self._conn is not None and self._waiting and len(self._sent) < self.limit:
            work_id, (work, future) = self._waiting.popitem(last=False)
            if future.done():  # its caller gave up (the host stops)
                continue
            self._sent[work_id] = (work, future)
            try:
                self._conn.send(("run", work_id, work["name"], work["input"]))
            except OSError:
                return  # it died; the reader sees the pipe close and this is sent again

    def _readable(self, loop: asyncio.AbstractEventLoop, on_lost: Callable[[], None]) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while conn.poll():
                _, work_id, result = conn.recv()
                _, future = self._sent.pop(work_id, (None, None))
                if future is not None and not future.done():
                    future.set_result(result)
        except (EOFError, OSError):
            # The process died (its episode pipe says so too, and it is started again), or
            # only its activity thread did: then on_lost ends the process, for the same.
            self.detach(loop)
            on_lost()
            return
        self._send_waiting()

    def detach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The worker is gone (or going): keep its unanswered work for the next one."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if loop is not None:
            with contextlib.suppress(Exception):
                loop.remove_reader(conn.fileno())
        conn.close()

    def close(self) -> None:
        """The host stops: its callers stop waiting, and their work stays in the store (it
        has no result), so it runs again at the next start."""
        for _, future in [*self._waiting.values(), *self._sent.values()]:
            future.cancel()
        self._waiting.clear()
        self._sent.clear()
