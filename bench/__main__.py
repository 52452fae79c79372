"""``make bench``: every benchmark in turn, each printing its table: devhost's (from its
package folder, where they live) and the app's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVHOST = ROOT / "packages" / "devhost"
BENCHMARKS = [
    (DEVHOST, "bench.bench_devhost"),
    (DEVHOST, "bench.bench_virtual_clock"),
    (DEVHOST, "bench.bench_servicebus"),
    (ROOT, "bench.bench_interpreter"),
    (ROOT, "bench.bench_approval"),
    (ROOT, "bench.bench_schedules"),
    (ROOT, "bench.bench_devices"),
]


def main() -> int:
    failed = 0
    for folder, module in BENCHMARKS:
        print(f"\n== {module} ({folder.relative_to(ROOT) or '.'})", flush=True)
        failed |= subprocess.call([sys.executable, "-m", module], cwd=folder)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
