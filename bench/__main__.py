"""``make bench``: every benchmark in turn, each printing its table."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["bench.bench_devhost", "bench.bench_virtual_clock", "bench.bench_servicebus",
              "bench.bench_interpreter", "bench.bench_approval", "bench.bench_schedules",
              "bench.bench_devices"]


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        print(f"\n== {module}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", module])
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
