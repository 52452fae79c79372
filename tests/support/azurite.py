"""Run the real Azurite blob emulator for a test: free port, temporary folder, always stopped.

    with run_azurite() as azurite:
        store = AzureBlobStore.from_connection_string(azurite.connection_string)

or use the pytest fixtures ``azurite`` (one per test session) and ``azurite_fresh`` (one per
test). Azurite comes from ``node_modules`` (``npm install``, done by ``make setup``).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from devhost.testing import free_port, stop_group

__all__ = [
    "ACCOUNT_KEY",
    "ACCOUNT_NAME",
    "AzuriteBlob",
    "AzuriteNotInstalled",
    "azurite",
    "azurite_executable",
    "azurite_fresh",
    "run_azurite",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
# Azurite's documented, public development account (not a secret).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class AzuriteNotInstalled(RuntimeError):
    """node_modules has no Azurite: run ``make setup`` (or ``npm install``)."""


@dataclass(frozen=True)
class AzuriteBlob:
    """A running Azurite blob service."""

    host: str
    port: int
    location: Path

    @property
    def blob_endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/{ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};"
            f"AccountKey={ACCOUNT_KEY};BlobEndpoint={self.blob_endpoint};"
        )


def azurite_executable(root: Path = REPO_ROOT) -> Path:
    executable = root / "node_modules" / ".bin" / "azurite-blob"
    if not executable.exists():
        raise AzuriteNotInstalled(
            f"{executable} is missing: run `make setup` (or `npm install`) in {root}"
        )
    return executable


@contextlib.contextmanager
def run_azurite(
    *,
    port: int | None = None,
    location: Path | None = None,
    in_memory: bool = True,
    startup_timeout: float = 30.0,
) -> Iterator[AzuriteBlob]:
    """Start ``azurite-blob`` on 127.0.0.1, wait until it answers, stop it on exit.

    ``port`` defaults to a free one; ``location`` (Azurite's workspace) to a temporary folder
    that is removed afterwards; ``in_memory=False`` keeps blobs on disk under ``location``.
    """
    with contextlib.ExitStack() as stack:
        if location is None:
            location = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="azurite-")))
        attempts = 1 if port is not None else 3
        for attempt in range(attempts):
            chosen = port if port is not None else free_port()
            process = _start(chosen, location, in_memory)
            stack.callback(_stop, process)
            try:
                _wait_ready(process, chosen, startup_timeout)
            except _PortTaken:
                # Another process grabbed the free port between our probe and Azurite's bind.
                if attempt == attempts - 1:
                    raise
                continue
            yield AzuriteBlob(host="127.0.0.1", port=chosen, location=location)
            return


class _PortTaken(RuntimeError):
    pass


def _start(port: int, location: Path, in_memory: bool) -> subprocess.Popen[bytes]:
    command = [
        str(azurite_executable()),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--silent",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
    ]
    # Azurite refuses --location with --inMemoryPersistence; in memory it runs in the folder
    # instead, so any stray file it writes still lands in the temporary workspace.
    command += ["--inMemoryPersistence"] if in_memory else ["--location", str(location)]
    # Own process group, so stopping it also stops anything node started.
    return subprocess.Popen(
        command,
        cwd=location,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            if "EADDRINUSE" in error:
                raise _PortTaken(error)
            raise RuntimeError(f"azurite-blob exited with {process.returncode}: {error}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"azurite-blob did not listen on 127.0.0.1:{port} within {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    stop_group(process, timeout=10)
    if process.stderr:
        process.stderr.close()


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteBlob]:
    """One Azurite for the whole session; tests isolate themselves by container or name."""
    with run_azurite() as running:
        yield running


@pytest.fixture
def azurite_fresh() -> Iterator[AzuriteBlob]:
    """An Azurite of its own for one test (empty storage)."""
    with run_azurite() as running:
        yield running
