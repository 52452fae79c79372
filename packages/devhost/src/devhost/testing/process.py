"""``python -m devhost start`` as a child process, for end-to-end, crash and soak tests.

The host runs in its own process group on a loopback port, and keeps that port and its data
dir across ``kill()`` (SIGKILL, the ``kill -9`` a crash test needs) and ``restart()``, so a
test can crash it at any moment and carry on with the same URLs::

    with DevhostProcess(app, data_dir, env=env) as running:
        running.client.start_orchestration("chain")
        running.kill()            # kill -9 of the host: no clean-up runs
        running.restart()         # same data dir, same port; in-flight work resumes
        running.client.wait_idle()

``stop()`` (and leaving the ``with``) takes down the whole group, SIGTERM then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from ._processes import alive, descendants_of, episode_workers_of, free_port, stop_group
from .hosts import RemoteHost

__all__ = ["DevhostNotRunning", "DevhostProcess", "run_devhost"]


class DevhostNotRunning(RuntimeError):
    """The host exited, or did not report Running in time; the message holds its log."""


class DevhostProcess:
    """One ``python -m devhost start`` on a fixed port and data dir, restartable."""

    def __init__(
        self,
        app_dir: Path,
        data_dir: Path,
        *,
        clock: str = "virtual",
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        port: int | None = None,
        ready_timeout: float = 90,
        cwd: Path | None = None,
    ) -> None:
        self.app_dir, self.data_dir = Path(app_dir), Path(data_dir)
        self.port = port or free_port()
        self.clock, self.args, self.cwd = clock, args, cwd
        self.env = {**os.environ, **(env or {})}
        self.ready_timeout = ready_timeout
        self.log_path = self.data_dir / "devhost.log"
        self.client = RemoteHost(f"http://127.0.0.1:{self.port}")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # ------------------------------------------------------------------------- lifecycle
    def start(self) -> DevhostProcess:
        """Start the host and wait until ``/admin/host/status`` says Running."""
        if self.running:
            raise RuntimeError("devhost is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "devhost",
            "start",
            "--app-dir",
            str(self.app_dir),
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--clock",
            self.clock,
            *self.args,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        self.starts += 1
        try:
            self._wait_until_running()
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """SIGKILL the host process alone, as ``kill -9 <pid>`` does, and wait until every
        process it had started (episode workers, Azurite) has noticed and left by itself:
        none may outlive it, or the next start would share the data dir with it."""
        process = self._require()
        left_behind = descendants_of(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in left_behind):
            if time.monotonic() > deadline:
                still = [pid for pid in left_behind if alive(pid)]
                raise AssertionError(f"processes {still} outlived their killed host")
            time.sleep(0.05)
        # No killpg here: the host's pid was reaped and may already belong to another
        # process group (another test's, another user's).

    def restart(self) -> DevhostProcess:
        """Start again on the same data dir and port (after ``kill()`` or ``stop()``)."""
        if self.running:
            self.stop()
        return self.start()

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)

    def __enter__(self) -> DevhostProcess:
        return self.start() if not self.running else self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # --------------------------------------------------------------------------- queries
    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def episode_workers(self) -> list[int]:
        return episode_workers_of(self._require().pid)

    def output(self) -> str:
        """Everything the host printed, over all its starts."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _require(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise RuntimeError("devhost was never started")
        return self.process

    def _wait_until_running(self) -> None:
        process = self._require()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DevhostNotRunning(
                    f"devhost exited with {process.returncode}:\n{self.output()}"
                )
            try:
                answer = self.client.http("GET", "/admin/host/status", timeout=2)
            except OSError:
                answer = None
            if answer is not None and answer.status == 200 and answer.json()["state"] == "Running":
                return
            time.sleep(0.1)
        raise DevhostNotRunning(
            f"devhost not Running after {self.ready_timeout} s:\n{self.output()}"
        )


@contextlib.contextmanager
def run_devhost(
    app_dir: Path,
    data_dir: Path,
    *,
    clock: str = "virtual",
    env: dict[str, str] | None = None,
    ready_timeout: float = 90,
    args: tuple[str, ...] = (),
) -> Iterator[DevhostProcess]:
    """Start devhost on a free loopback port, wait until it reports Running, always stop it."""
    with DevhostProcess(
        app_dir, data_dir, clock=clock, env=env, args=args, ready_timeout=ready_timeout
    ) as running:
        yield running
