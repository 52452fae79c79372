"""Orchestrator episodes in worker processes, as ``FUNCTIONS_WORKER_PROCESS_COUNT`` does.

The SDK replays an orchestration's whole history on every episode; that CPU work is most of
what an orchestration costs. With N worker processes the host keeps the store, HTTP and
activities, and the replays run in parallel on other cores. Each worker loads the app from
its folder with the host's settings, like a Functions worker process, so orchestrator code
must not rely on in-process state shared with activities (it must not anyway: it is replayed).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..loader import load_app
from . import sdk_fastpaths
from .protocol import call_orchestrator

__all__ = ["ReplayWorkers"]

_ORCHESTRATORS: dict[str, Any] = {}


def _start_worker(app_dir: str, environ: dict[str, str]) -> None:
    os.environ.update(environ)
    os.chdir(app_dir)
    app = load_app(Path(app_dir))
    sdk_fastpaths.install()
    _ORCHESTRATORS.update({n: f.func for n, f in app.by_trigger("orchestrationTrigger").items()})


def _replay(calls: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [call_orchestrator(_ORCHESTRATORS[name], body) for name, body in calls]


class ReplayWorkers:
    def __init__(self, app_dir: Path, environ: dict[str, str], processes: int) -> None:
        self.processes = processes
        self._start = (str(app_dir), environ)
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the host has threads and an event loop that a fork would copy.
        return ProcessPoolExecutor(
            max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=self._start)

    def replay(self, calls: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Spread ``(orchestrator, context JSON)`` calls over the workers; results in order.

        A worker that dies (killed, out of memory) breaks the pool: it is replaced and the
        calls run once more; a second failure propagates and the episodes stay queued."""
        size = max(1, -(-len(calls) // self.processes))
        chunks = [calls[i:i + size] for i in range(0, len(calls), size)]
        pool = self._pool
        try:
            return [r for part in pool.map(_replay, chunks) for r in part]
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            return [r for part in self._pool.map(_replay, chunks) for r in part]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
