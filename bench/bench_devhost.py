"""devhost throughput: N orchestrations of 3 sequential no-op activities, started at once.

    python -m bench.bench_devhost [--count 1000]

Every episode is committed to SQLite (WAL) before its work is visible, as in normal runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from azure.functions._durable_functions import OrchestrationContext

from devhost.durable.orchestrations import REPLAYED
from devhost.testing import DevHost

APP = Path(__file__).parent / "apps" / "noop_app"


def run(count: int, workers: int) -> dict[str, float]:
    settings = {"FUNCTIONS_WORKER_PROCESS_COUNT": str(workers)}
    with tempfile.TemporaryDirectory() as data, \
            DevHost(APP, clock="virtual", data_dir=data, settings=settings) as host:
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
        floor = sdk_replay_seconds(host, ids[0])
    total = finished - began
    return {"orchestrations": count, "workers": workers, "start_s": started - began,
            "total_s": total,
            "orch_per_s": count / total, "act_per_s": 3 * count / total,
            "sdk_ms": floor * 1000}


def sdk_replay_seconds(host: DevHost, instance_id: str, rounds: int = 200) -> float:
    """The SDK's own cost for one orchestration: its episodes replayed with nothing else.

    This is the floor under the engine: no host can run the workload faster than
    1 / this per core, because every episode replays the history through the SDK."""
    replayed = [dict(e, IsPlayed=True) for e in host.history(instance_id)
                if e["EventType"] in REPLAYED]
    starts = [i for i, e in enumerate(replayed) if e["EventType"] == 12] + [len(replayed)]
    contexts = [json.dumps({"history": replayed[: starts[k + 1]], "instanceId": instance_id,
                            "isReplaying": True, "parentInstanceId": None, "input": "1",
                            "upperSchemaVersion": 2})
                for k in range(len(starts) - 1)]
    assert host.host.app is not None
    handle = host.host.app.by_trigger("orchestrationTrigger")["three_steps"].func
    began = time.perf_counter()
    for _ in range(rounds):
        for context in contexts:
            handle(OrchestrationContext(context))
    return (time.perf_counter() - began) / rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1,
                        help="FUNCTIONS_WORKER_PROCESS_COUNT: processes replaying orchestrators")
    args = parser.parse_args()
    result = run(args.count, args.workers)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print("| orchestrations | worker processes | start phase (s) | total (s) | orchestrations/s"
          " | activities/s | SDK replay alone (ms/orchestration) | SDK ceiling (orch/s/core) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {result['orchestrations']} | {result['workers']} | {result['start_s']:.2f} |"
          f" {result['total_s']:.2f} |"
          f" {result['orch_per_s']:.0f} | {result['act_per_s']:.0f} | {result['sdk_ms']:.2f} |"
          f" {1000 / result['sdk_ms']:.0f} |")


if __name__ == "__main__":
    main()
