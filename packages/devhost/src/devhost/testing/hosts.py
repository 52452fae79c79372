"""Run a devhost in-process for tests: a real host on a loopback port, driven synchronously.

    with DevHost("path/to/app", clock="virtual") as host:
        iid = host.start_orchestration("my_orchestrator", {"x": 1})
        host.advance(duration="P5D")
        assert host.wait_for(iid)["runtimeStatus"] == "Completed"

The host runs on its own event loop in a background thread; every method here blocks until
the host has answered. ``wait_idle`` and ``advance`` replace sleeps: they return when nothing
is runnable now, so tests are fast and deterministic. ``restart()`` stops the host and starts
a new one on the same data dir, port and clock, as a restart of ``python -m devhost start``
would. ``RemoteHost`` offers the same operations over HTTP only, for a host started elsewhere
with ``python -m devhost start``.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import os
import threading
import urllib.parse
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from ..azurite import Azurite
from ..clock import Clock, parse_duration
from ..durable import instance_store
from ..host import Host
from ..remote import exchange

__all__ = ["DevHost", "RemoteHost", "Response"]

T = TypeVar("T")
TERMINAL = ("Completed", "Failed", "Terminated")
# Run a whole suite with orchestrators and activities in worker processes, as `python -m
# devhost start` and Azure run them: DEVHOST_TEST_WORKERS=1 pytest ...
WORKERS_VARIABLE = "DEVHOST_TEST_WORKERS"


def _default_workers() -> int:
    """0 (in this process), unless ``DEVHOST_TEST_WORKERS`` asks for worker processes."""
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not text:
        return 0
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise ValueError(f"{WORKERS_VARIABLE}: expected a whole number from 0 to 10, got {text!r}")
    return int(text)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return jsonlib.loads(self.text) if self.text else None


class RemoteHost:
    """Drive a devhost over HTTP only: its Durable HTTP API and its admin routes."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    @property
    def base_url(self) -> str:
        return self._base_url

    # ------------------------------------------------------------------------------ HTTP
    def http(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Response:
        url = self.base_url + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        body: bytes | None = None
        sent_headers = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        status, answer_headers, content = exchange(method.upper(), url, body, sent_headers, timeout)
        return Response(status, answer_headers, content.decode("utf-8", errors="replace"))

    # ---------------------------------------------------------------------------- durable
    def start_orchestration(
        self,
        name: str,
        input: Any = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> str:
        path = f"/runtime/webhooks/durabletask/orchestrators/{name}"
        if instance_id:
            path += "/" + urllib.parse.quote(instance_id, safe="")
        params = {"version": version} if version else None
        answer = self.http("POST", path, json=input, params=params)
        if answer.status != 202:
            raise RuntimeError(f"start {name} failed: {answer.status} {answer.text}")
        return str(answer.json()["id"])

    def status(self, instance_id: str, history: bool = False) -> dict[str, Any] | None:
        params = {"showHistory": "true", "showHistoryOutput": "true"} if history else None
        answer = self.http(
            "GET",
            "/runtime/webhooks/durabletask/instances/" + urllib.parse.quote(instance_id, safe=""),
            params=params,
        )
        return None if answer.status == 404 else answer.json()

    def raise_event(self, instance_id: str, name: str, data: Any = None) -> Response:
        return self.http(
            "POST",
            "/runtime/webhooks/durabletask/instances/"
            f"{urllib.parse.quote(instance_id, safe='')}/raiseEvent/{name}",
            json=data if data is not None else None,
        )

    def wait_for(self, instance_id: str, timeout: float = 60) -> dict[str, Any]:
        """Wait until the instance ends. With the virtual clock, a host that is idle while the
        instance still runs is waiting for time or an event: that raises TimeoutError."""
        deadline = datetime.now() + timedelta(seconds=timeout)
        virtual = self.is_virtual()
        while True:
            # Short slices: another instance may keep the host busy (even hang) meanwhile.
            remaining = (deadline - datetime.now()).total_seconds()
            idle = self.wait_idle(timeout=max(0.05, min(0.5, remaining)), raise_on_timeout=False)
            status = self.status(instance_id)
            if status is not None and status["runtimeStatus"] in TERMINAL:
                return status
            if (idle and virtual) or datetime.now() >= deadline:
                raise TimeoutError(
                    f"instance {instance_id} is {status and status['runtimeStatus']}"
                    f" (custom status {status and status.get('customStatus')})"
                )
            if idle:  # real clock: waiting for time to pass
                threading.Event().wait(0.02)

    # ------------------------------------------------------------------------------- time
    def is_virtual(self) -> bool:
        return bool(self.http("GET", "/admin/devhost/clock").json()["virtual"])

    def wait_idle(self, timeout: float = 60, raise_on_timeout: bool = True) -> bool:
        answer = self.http(
            "POST", "/admin/devhost/idle", params={"timeout": str(timeout)}, timeout=timeout + 10
        )
        if answer.status != 200 and raise_on_timeout:
            raise TimeoutError(f"devhost still busy after {timeout} s: {answer.text}")
        return answer.status == 200

    def advance(self, seconds: float | None = None, duration: str | None = None) -> datetime:
        body = {"duration": duration} if duration else {"seconds": seconds or 0}
        answer = self.http("POST", "/admin/devhost/clock/advance", json=body, timeout=600)
        if answer.status != 200:
            raise RuntimeError(f"advance failed: {answer.status} {answer.text}")
        return datetime.fromisoformat(answer.json()["now"])

    def now(self) -> datetime:
        return datetime.fromisoformat(self.http("GET", "/admin/devhost/clock").json()["now"])


class DevHost(RemoteHost):
    """A host in this process: the HTTP operations of ``RemoteHost`` plus direct access."""

    def __init__(
        self,
        app_dir: str | Path,
        *,
        clock: str | Clock = "virtual",
        settings: dict[str, str] | None = None,
        data_dir: str | Path | None = None,
        port: int = 0,
        worker_processes: int | str | None = "default",
    ) -> None:
        """``worker_processes``: 0 runs orchestrators and activities in this process, where a
        test and a debugger see them (the default, unless the environment variable
        ``DEVHOST_TEST_WORKERS`` names a count); N runs them in N worker processes; None takes
        ``FUNCTIONS_WORKER_PROCESS_COUNT`` from the settings, as ``python -m devhost start``
        does."""
        super().__init__("")
        if worker_processes == "default":
            worker_processes = _default_workers()
        elif isinstance(worker_processes, str):
            raise ValueError(
                f"worker_processes: expected a count or None, got {worker_processes!r}"
            )
        self._options: dict[str, Any] = {
            "app_dir": app_dir,
            "data_dir": data_dir,
            "clock": clock,
            "settings": dict(settings or {}),
            "worker_processes": worker_processes,
        }
        self.host = Host(port=port, **self._options)
        self.restarts = 0
        self._azurite: Azurite | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="devhost", daemon=True)

    # ------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> DevHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        try:
            self._run(self.host.start(), timeout=120)
        except BaseException:
            self.stop()
            raise

    def restart(self, *, reload_app: bool = True) -> None:
        """Stop the host and start a new one on the same data dir, port, settings and clock,
        as a restart of ``python -m devhost start`` would: the virtual clock carries on where
        it stood (``clock.json``), and in-flight work resumes from the store (activities that
        were running run again, locked messages come back with their delivery counted).
        Azurite keeps running across it. The app's modules are imported afresh (those the
        test process had imported before the host first loaded the app, and installed
        packages, stay as they are), which is most of the time a restart takes;
        ``reload_app=False`` keeps the imported app (and its module state) for a quicker
        restart of the host alone."""
        old = self.host
        released = old.release_azurite()
        if released is not None:
            self._azurite, connections = released
            self._options["settings"].update(connections)  # every later host uses it too
        app = None if reload_app else old.detach_app()
        try:
            self._run(old.stop(), timeout=60)
            clock = (
                old.clock if isinstance(self._options["clock"], Clock) else self._options["clock"]
            )
            self.host = Host(port=old.port, app=app, **{**self._options, "clock": clock})
            self._run(self.host.start(), timeout=120)
        except BaseException:
            self.stop()
            raise
        self.restarts += 1

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._run(self.host.stop(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            if self._azurite is not None:
                self._azurite.stop()
                self._azurite = None

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def base_url(self) -> str:
        return self.host.base_url

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        """The instance's raw history, exactly as the SDK receives it."""
        assert self.host.engine is not None
        return instance_store.history(self.host.engine.store.conn(), instance_id)

    # ------------------------------------------------------------------------------- time
    def is_virtual(self) -> bool:
        return self.host.clock.is_virtual

    def wait_idle(self, timeout: float = 60, raise_on_timeout: bool = True) -> bool:
        idle = self._run(self.host.wait_idle(timeout), timeout=timeout + 10)
        if not idle and raise_on_timeout:
            raise TimeoutError(f"devhost still busy after {timeout} s")
        return idle

    def advance(
        self,
        seconds: float | None = None,
        duration: str | None = None,
        settle_timeout: float = 60.0,
    ) -> datetime:
        """Advance the virtual clock; see ``Host.advance`` for ``settle_timeout``."""
        delta = parse_duration(duration) if duration else timedelta(seconds=seconds or 0)
        return self._run(self.host.advance(delta, settle_timeout), timeout=600)

    def now(self) -> datetime:
        return self.host.clock.now()
