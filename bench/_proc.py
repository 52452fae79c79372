"""CPU time of processes from /proc (Linux): steadier than wall time on a shared machine."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["children_cpu", "process_cpu"]


def _stat(path: Path) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    return path.read_text().rsplit(")", 1)[1].split()


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) of the process ``pid`` so far, not its children's."""
    return _cpu(_stat(Path(f"/proc/{pid}/stat")))


def children_cpu(pid: int) -> float:
    """CPU seconds of the processes whose parent is ``pid`` so far (devhost's workers)."""
    total = 0.0
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = _stat(path)
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            total += _cpu(fields)
    return total
