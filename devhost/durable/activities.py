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
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
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


async def run_activity(invoker: Invoker, fn: FunctionInfo,
                       input_json: str | None) -> ActivityResult:
    """Call the activity ``fn`` with its JSON input, as the Python worker would."""
    datum = meta.Datum(type="string", value=input_json if input_json is not None else "null")
    try:
        invocation = await invoker.invoke(fn, datum)
        # A result the converter cannot encode fails the activity too, as in the worker.
        encoded = converter("activityTrigger").encode(invocation.value, expected_type=None)
    except Exception as exc:
        return ActivityResult(False, failure_fields(exc, f"Activity function '{fn.name}'"))
    return ActivityResult(True, {"Result": encoded.value})


# ------------------------------------------------------------------------- worker process
# The outputs of the invocation running in this task (set per task by ``serve_activities``).
_collected: contextvars.ContextVar[list[tuple[dict[str, Any], meta.Datum]]] = \
    contextvars.ContextVar("devhost_activity_outputs")


async def _collect(binding: dict[str, Any], datum: meta.Datum) -> None:
    _collected.get().append((binding, datum))


def serve_activities(conn: Connection, app_dir: str, activities: dict[str, FunctionInfo],
                     output_types: list[str], threads: int) -> threading.Thread:
    """In a worker process: run the activities the host sends on ``conn``, on a thread of
    their own (the main thread runs episodes). It ends when the host closes the pipe."""
    invoker = Invoker(app_dir, max_workers=threads)
    for binding_type in output_types:
        invoker.register_output(binding_type, _collect)

    async def invoke(work_id: int, name: str, input_json: str | None) -> None:
        outputs: list[tuple[dict[str, Any], meta.Datum]] = []
        _collected.set(outputs)
        fn = activities.get(name)
        if fn is None:  # the host checked; a worker with another app would be a devhost bug
            result = ActivityResult(False, {"Reason": f"no activity {name!r} in this worker",
                                            "Details": ""})
        else:
            result = await run_activity(invoker, fn, input_json)
        result.outputs = outputs
        try:
            conn.send(("done", work_id, result))
        except OSError:
            return  # the host is gone: nobody to tell
        except Exception as exc:  # an output value that does not pickle
            failed = ActivityResult(False, failure_fields(exc, f"Activity function '{name}'"))
            conn.send(("done", work_id, failed))

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        running: set[asyncio.Task[None]] = set()

        def readable() -> None:
            try:
                while conn.poll():
                    _, work_id, name, input_json = conn.recv()
                    task = loop.create_task(invoke(work_id, name, input_json))
                    running.add(task)
                    task.add_done_callback(running.discard)
            except (EOFError, OSError):  # the host is gone or stopping
                loop.remove_reader(conn.fileno())
                if not ended.done():
                    ended.set_result(None)

        loop.add_reader(conn.fileno(), readable)
        await ended
        invoker.shutdown()

    def main() -> None:
        with contextlib.suppress(EOFError, OSError, BrokenPipeError):
            asyncio.run(serve())

    thread = threading.Thread(target=main, name="devhost-activities", daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------- host side
class ActivityChannel:
    """The host's end of one worker's activities: at most ``limit`` there at once, the rest
    queued here in order; what was sent and not answered is sent again after a restart."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._conn: Connection | None = None
        self._waiting: OrderedDict[int, tuple[dict[str, Any], asyncio.Future[ActivityResult]]] = (
            OrderedDict())
        self._sent: dict[int, tuple[dict[str, Any], asyncio.Future[ActivityResult]]] = {}

    def attach(self, conn: Connection, loop: asyncio.AbstractEventLoop,
               on_lost: Callable[[], None]) -> None:
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
