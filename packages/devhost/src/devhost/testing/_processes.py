"""Helpers for tests and benchmarks that run servers as child processes (Linux ``/proc``): a
free loopback port, a stop that takes down the whole process group (SIGTERM, then SIGKILL if
it lingers), a process's children, and the CPU time they used (steadier than wall time on a
shared machine)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

__all__ = [
    "alive",
    "children_cpu",
    "children_of",
    "command_line",
    "descendants_of",
    "episode_workers_of",
    "free_port",
    "process_cpu",
    "stop_group",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def episode_workers_of(pid: int) -> list[int]:
    """A devhost's episode worker processes (its other child is multiprocessing's resource
    tracker)."""
    return [
        child
        for child in children_of(pid)
        if "spawn_main" in command_line(child) and "resource_tracker" not in command_line(child)
    ]


def command_line(pid: int) -> str:
    """The process's command line, words joined by spaces ("" once it has ended)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _stat(path: Path) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    return path.read_text().rsplit(")", 1)[1].split()


def _children_stats(pid: int) -> list[tuple[int, list[str]]]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = _stat(stat)
            parent = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
        if parent == pid:
            found.append((int(stat.parent.name), fields))
    return found


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` now (Linux /proc)."""
    return [child for child, _ in _children_stats(pid)]


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) of the process ``pid`` so far, not its children's."""
    return _cpu(_stat(Path(f"/proc/{pid}/stat")))


def children_cpu(pid: int) -> float:
    """CPU seconds of the processes whose parent is ``pid`` so far (devhost's workers)."""
    return sum(_cpu(fields) for _, fields in _children_stats(pid))


def descendants_of(pid: int) -> list[int]:
    """Every process ``pid`` started, and theirs, now (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        children = children_of(todo.pop())
        found += children
        todo += children
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, ended but not yet reaped, does not count)."""
    try:
        state = _stat(Path(f"/proc/{pid}/stat"))[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_group(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it spawned."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
