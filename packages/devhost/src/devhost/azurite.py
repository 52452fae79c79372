"""Start Azurite for apps whose storage setting is ``UseDevelopmentStorage=true``.

Azurite listens on free loopback ports in a folder under the data dir; the settings that named
development storage are rewritten to an explicit connection string for those ports, so several
hosts (and tests) can run side by side. Which Azurite runs: ``find_azurite``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AZURITE_SETTING", "DEV_ACCOUNT", "DEV_KEY", "Azurite", "find_azurite"]

# The setting (environment or local.settings.json Values) naming the Azurite to run.
AZURITE_SETTING = "DEVHOST_AZURITE"

DEV_ACCOUNT = "devstoreaccount1"
# Azurite's fixed, publicly documented development key: not a secret.
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def find_azurite(app_dir: Path, configured: str | None = None) -> Path | None:
    """The Azurite executable to run: the one the ``DEVHOST_AZURITE`` setting names (a path,
    or a command looked up on ``PATH``), else ``node_modules/.bin/azurite`` of the app dir or
    a parent (an app's own ``npm install``), else ``azurite`` on ``PATH``. None if there is
    none; a setting that names nothing runnable is an error, not a silent fallback."""
    if configured:
        found = shutil.which(os.path.expanduser(configured))
        if found is None:
            raise ValueError(
                f"{AZURITE_SETTING}={configured!r}: expected the path of an"
                " executable azurite, or a command on PATH"
            )
        return Path(found)
    for folder in [app_dir.resolve(), *app_dir.resolve().parents]:
        candidate = folder / "node_modules" / ".bin" / "azurite"
        if candidate.exists():
            return candidate
    found = shutil.which("azurite")
    return Path(found) if found else None


def _die_with_parent() -> None:
    """Runs in the child before exec: a kill -9 of devhost must not leave Azurite behind."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Azurite:
    """A running Azurite (blob, queue, table) process that stops with ``stop()``."""

    process: subprocess.Popen[bytes]
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        host = "http://127.0.0.1"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint={host}:{self.blob_port}/{DEV_ACCOUNT};"
            f"QueueEndpoint={host}:{self.queue_port}/{DEV_ACCOUNT};"
            f"TableEndpoint={host}:{self.table_port}/{DEV_ACCOUNT};"
        )

    @classmethod
    def start(cls, binary: Path, folder: Path, timeout: float = 30.0) -> Azurite:
        folder.mkdir(parents=True, exist_ok=True)
        ports = [_free_port() for _ in range(3)]
        args = [
            str(binary),
            "--silent",
            "--skipApiVersionCheck",
            # Azurite 3.32+ sends usage telemetry to Application Insights by default: nothing
            # may leave the machine, and its flush at shutdown races the metadata save.
            "--disableTelemetry",
            "--location",
            str(folder),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(ports[0]),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(ports[1]),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(ports[2]),
        ]
        log = (folder / "azurite.log").open("ab")
        process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (prctl only, no locks)
        )
        azurite = cls(process, *ports)
        # Ready means all three services listen, not only the blob one: Azurite installs its
        # SIGTERM handler (which saves the blob metadata) only after the table service has
        # started, so a blob written before that and then a stop (or the host's death) would
        # be acknowledged and lost.
        waiting = list(ports)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"azurite exited with code {process.returncode}; see {folder / 'azurite.log'}"
                )
            try:
                with socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.2):
                    waiting.pop(0)
                if not waiting:
                    return azurite
            except OSError:
                time.sleep(0.1)
        azurite.stop()
        raise RuntimeError(f"azurite did not listen on port {waiting[0]} within {timeout}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
