"""Where a running devhost answers, and how the CLI finds it.

A host records its URL and process id in its data dir (``running.json``) once it serves, and
removes the record when it stops. The CLI commands (``send``, ``queues``, ``clock``, ``idle``)
talk to, in this order: ``--url``, ``--port``, the ``DEVHOST_URL`` environment variable, the
host recorded in ``--data-dir`` (default ``./.devhost``, where ``make run`` keeps its state)
while that process still runs, and last ``http://127.0.0.1:7071``, the Functions host's port.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_URL",
    "ENV_URL",
    "RUNNING_FILE",
    "forget",
    "record",
    "recorded_url",
    "resolve_url",
]

RUNNING_FILE = "running.json"
ENV_URL = "DEVHOST_URL"
DEFAULT_URL = "http://127.0.0.1:7071"
DEFAULT_DATA_DIR = ".devhost"


def record(data_dir: Path, url: str) -> None:
    """Note that this process serves ``url`` for ``data_dir`` (replaced whole, never half)."""
    scratch = data_dir / (RUNNING_FILE + ".tmp")
    scratch.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(scratch, data_dir / RUNNING_FILE)


def forget(data_dir: Path, url: str) -> None:
    """Remove the record if it is this process's (another host may have taken the dir since)."""
    path = data_dir / RUNNING_FILE
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        state = json.loads(path.read_text(encoding="utf-8"))
        if state["pid"] == os.getpid() and state["url"] == url:
            path.unlink()


def recorded_url(data_dir: Path) -> str | None:
    """The URL of the host recorded in ``data_dir``, if that process still runs (a host killed
    with ``kill -9`` leaves its record behind)."""
    try:
        state = json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))
        url, pid = str(state["url"]), int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it runs, as another user
    return url


def resolve_url(
    url: str | None, port: int | None, data_dir: str | None, environ: dict[str, str] | None = None
) -> str:
    """The base URL a CLI command talks to (see the module docstring for the order); raises
    ValueError naming the option or variable whose value is not an http URL or a port."""
    env = os.environ if environ is None else environ
    if url:
        return _checked(url, "--url")
    if port is not None:
        if not 1 <= port <= 65535:
            raise ValueError(f"--port: expected 1 to 65535, got {port}")
        return f"http://127.0.0.1:{port}"
    if env.get(ENV_URL):
        return _checked(env[ENV_URL], ENV_URL)
    return recorded_url(Path(data_dir or DEFAULT_DATA_DIR)) or DEFAULT_URL


def _checked(url: str, where: str) -> str:
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        raise ValueError(f"{where}: {url!r} has a port outside 1 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: expected a URL such as http://127.0.0.1:7071, got {url!r}")
    return url.strip().rstrip("/")
