"""End-to-end fixtures: devhost as a separate process (`python -m devhost start`), HTTP only.

A test module names its app with ``DEVHOST_APP = "patterns_app"`` (a folder under tests/apps)
and uses the module-scoped ``devhost`` fixture: one process per module keeps the suite fast.
The process is always stopped at the end, with SIGKILL if SIGTERM is not enough.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devhost.testing import RemoteHost
from tests.support.processes import free_port, stop_group

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = REPO_ROOT / "tests" / "apps"


@dataclass
class DevhostProcess:
    """A running ``python -m devhost start`` and a client for it."""

    process: subprocess.Popen[bytes]
    client: RemoteHost
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")




@contextlib.contextmanager
def run_devhost(app_dir: Path, data_dir: Path, *, clock: str = "virtual",
                env: dict[str, str] | None = None, ready_timeout: float = 90,
                args: tuple[str, ...] = ()) -> Iterator[DevhostProcess]:
    """Start devhost on a free loopback port, wait until it reports Running, always stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "devhost.log"
    command = [sys.executable, "-m", "devhost", "start", "--app-dir", str(app_dir),
               "--port", str(port), "--data-dir", str(data_dir), "--clock", clock, *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                   start_new_session=True)
    running = DevhostProcess(process, RemoteHost(f"http://127.0.0.1:{port}"), log_path)
    try:
        _wait_until_running(running, ready_timeout)
        yield running
    finally:
        stop_group(process)


def _wait_until_running(running: DevhostProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            pytest.fail(f"devhost exited with {running.process.returncode}:\n{running.output()}")
        try:
            answer = running.client.http("GET", "/admin/host/status", timeout=2)
        except OSError:
            answer = None
        if answer is not None and answer.status == 200 and answer.json()["state"] == "Running":
            return
        time.sleep(0.1)
    pytest.fail(f"devhost not Running after {timeout} s:\n{running.output()}")


@pytest.fixture(scope="module")
def devhost_process(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevhostProcess]:
    """The module's app (``DEVHOST_APP``) served by one devhost process with a virtual clock."""
    app = getattr(request.module, "DEVHOST_APP", None)
    if app is None:
        raise pytest.UsageError(f"{request.module.__name__}: set DEVHOST_APP to a folder under"
                                " tests/apps")
    with run_devhost(APPS / app, tmp_path_factory.mktemp(f"e2e-{app}")) as running:
        yield running


@pytest.fixture(scope="module")
def devhost(devhost_process: DevhostProcess) -> RemoteHost:
    return devhost_process.client
