"""devhost throughput: N orchestrations of 3 sequential no-op activities, started at once.

    python -m bench.bench_devhost [--count 1000]

Every episode is committed to SQLite (WAL) before its work is visible, as in normal runs.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devhost.testing import DevHost

APP = Path(__file__).parent / "apps" / "noop_app"


def run(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data, DevHost(APP, clock="virtual", data_dir=data) as host:
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(lambda i: host.start_orchestration("three_steps", i,
                                                                   instance_id=f"bench-{i}"),
                                range(count)))
        started = time.perf_counter()
        host.wait_idle(timeout=600)
        finished = time.perf_counter()
        rows = host.host.engine.store.conn().execute(
            "SELECT status, COUNT(*) FROM instances GROUP BY status").fetchall()
        statuses = {r[0]: r[1] for r in rows}
        assert statuses == {"Completed": count}, statuses
        assert len(ids) == count
    total = finished - began
    return {"orchestrations": count, "start_s": started - began, "total_s": total,
            "orch_per_s": count / total, "act_per_s": 3 * count / total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    result = run(args.count)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print("| orchestrations | start phase (s) | total (s) | orchestrations/s | activities/s |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {result['orchestrations']} | {result['start_s']:.2f} | {result['total_s']:.2f} |"
          f" {result['orch_per_s']:.0f} | {result['act_per_s']:.0f} |")


if __name__ == "__main__":
    main()
