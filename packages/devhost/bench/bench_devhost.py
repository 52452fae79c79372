"""devhost throughput: N orchestrations of 3 sequential no-op activities, started at once.

    python -m bench.bench_devhost [--count 1000] [--workers 1] [--rounds 3]

devhost runs as its own process (``python -m devhost start --clock virtual``), as it does for
``make run``: orchestration episodes in ``--workers`` worker processes (default 1, as the
command; 0 runs them in the host process, ``--in-process``). The client starts every instance
over the Durable HTTP API with 64 requests in flight on kept-alive connections, then waits on
``/admin/devhost/idle``. Every episode is committed to SQLite (WAL) before its work is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from azure.functions._durable_functions import OrchestrationContext

from devhost.durable import sdk_fastpaths
from devhost.durable.protocol import REPLAYED
from devhost.testing import DevHost, DevhostProcess, children_cpu, process_cpu

APP = Path(__file__).parent / "apps" / "noop_app"
API = "/runtime/webhooks/durabletask"


async def _drive(base: str, count: int) -> tuple[float, float]:
    limit = asyncio.Semaphore(64)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def start(i: int) -> None:
            async with (
                limit,
                session.post(f"{base}{API}/orchestrators/three_steps/bench-{i}", json=i) as answer,
            ):
                assert answer.status == 202, await answer.text()

        began = time.perf_counter()
        await asyncio.gather(*(start(i) for i in range(count)))
        started = time.perf_counter()
        async with session.post(f"{base}/admin/devhost/idle?timeout=600") as answer:
            assert answer.status == 200, await answer.text()
        finished = time.perf_counter()
        async with session.get(f"{base}{API}/instances?runtimeStatus=Completed") as answer:
            done = len(await answer.json())
        assert done == count, f"{done} of {count} Completed"
    return started - began, finished - began


def run(count: int, workers: int) -> dict[str, float]:
    env = {"FUNCTIONS_WORKER_PROCESS_COUNT": str(max(workers, 1))}
    args = ("--in-process",) if workers == 0 else ()
    with (
        tempfile.TemporaryDirectory() as data,
        DevhostProcess(APP, Path(data), env=env, args=args) as host,
    ):
        assert host.process is not None
        pid = host.process.pid
        cpu_before = process_cpu(pid)
        child_before = children_cpu(pid)
        start_s, total_s = asyncio.run(_drive(host.base_url, count))
        host_cpu = process_cpu(pid) - cpu_before
        workers_cpu = children_cpu(pid) - child_before
    return {
        "orchestrations": count,
        "workers": workers,
        "start_s": start_s,
        "total_s": total_s,
        "orch_per_s": count / total_s,
        "act_per_s": 3 * count / total_s,
        "host_cpu_ms": host_cpu / count * 1000,
        "workers_cpu_ms": workers_cpu / count * 1000,
    }


def sdk_replay_ms(rounds: int = 200) -> dict[str, float]:
    """The SDK's own cost for one orchestration: its episodes replayed with nothing else, as
    the SDK ships and with devhost's exact fast paths (``devhost.durable.sdk_fastpaths``).

    This is the floor under the engine: no host runs the workload faster than 1 / this per
    core, because every episode replays the history through the SDK."""
    with (
        tempfile.TemporaryDirectory() as data,
        DevHost(APP, clock="virtual", data_dir=data) as host,
    ):
        instance_id = host.start_orchestration("three_steps", 1)
        host.wait_idle()
        replayed = [e for e in host.history(instance_id) if e["EventType"] in REPLAYED]
        starts = [i for i, e in enumerate(replayed) if e["EventType"] == 12] + [len(replayed)]
        contexts = [
            json.dumps(
                {
                    "history": replayed[: starts[k + 1]],
                    "instanceId": instance_id,
                    "isReplaying": True,
                    "parentInstanceId": None,
                    "input": "1",
                    "upperSchemaVersion": 2,
                }
            )
            for k in range(len(starts) - 1)
        ]
        assert host.host.app is not None
        handle = host.host.app.by_trigger("orchestrationTrigger")["three_steps"].func

        def timed() -> float:
            began = time.perf_counter()
            for _ in range(rounds):
                for context in contexts:
                    handle(OrchestrationContext(context))
            return (time.perf_counter() - began) / rounds * 1000

        sdk_fastpaths.uninstall()
        try:
            shipped = timed()
        finally:
            sdk_fastpaths.install()
        return {"shipped": shipped, "fast": timed()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="FUNCTIONS_WORKER_PROCESS_COUNT: processes running orchestration"
        " episodes; 0 runs them in the host process (--in-process)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of the benchmark, one row each (the machine may be shared)",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(
        "| round | orchestrations | worker processes | start phase (s) | total (s)"
        " | orchestrations/s | activities/s | host process CPU (ms/orchestration)"
        " | worker processes CPU (ms/orchestration) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rates = []
    for round_no in range(1, args.rounds + 1):
        r = run(args.count, args.workers)
        rates.append(r["orch_per_s"])
        print(
            f"| {round_no} | {r['orchestrations']} | {r['workers']} | {r['start_s']:.2f} |"
            f" {r['total_s']:.2f} | {r['orch_per_s']:.0f} | {r['act_per_s']:.0f} |"
            f" {r['host_cpu_ms']:.2f} | {r['workers_cpu_ms']:.2f} |",
            flush=True,
        )
    print(f"\nmedian: {statistics.median(rates):.0f} orchestrations/s\n")
    floor = sdk_replay_ms()
    print("| SDK replay of one orchestration alone | ms | ceiling (orchestrations/s per core) |")
    print("|---|---:|---:|")
    for label, key in (
        ("as shipped (dateutil, namedtuple per call)", "shipped"),
        ("with devhost's fast paths", "fast"),
    ):
        print(f"| {label} | {floor[key]:.2f} | {1000 / floor[key]:.0f} |")


if __name__ == "__main__":
    main()
