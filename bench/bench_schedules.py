"""What the schedules timer costs on devhost's virtual clock: wall time per tick.

    python -m bench.bench_schedules [--minutes 10]

Runs the real app (virtual clock, Azurite, SQLite) and advances the clock minute by minute
under the default 15-second timer: once with no schedules (the tick alone: load, cursor,
nothing enqueued) and once with the sample's two schedules (each tick enqueues two items and
starts two scheduled-sync instances). Every tick is a stop of the virtual clock, so this is
what a test pays per virtual minute it advances with the timer on.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from devhost.testing import DevHost

import runtime

ROOT = Path(__file__).resolve().parents[1]


def run(minutes: int, schedules_file: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = {
            "DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite'}",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(tmp / "library"),
            "SCHEDULES_FILE": schedules_file,
            "SCHEDULES_TIMER_SCHEDULE": "*/15 * * * * *",
        }
        runtime.reset()
        with DevHost(ROOT, clock="virtual", settings=settings, data_dir=tmp / "data") as host:
            host.advance(seconds=60)  # warm up: first tick, clients, caches
            began = time.perf_counter()
            for _ in range(minutes):
                host.advance(seconds=60)
            elapsed = time.perf_counter() - began
            answer = host.http(
                "GET",
                "/runtime/webhooks/durabletask/instances",
                params={"instanceIdPrefix": "Workflow-", "top": "100000"},
            )
            instances = len(json.loads(answer.text))
        runtime.reset()
    ticks = minutes * 4
    return {
        "ticks": ticks,
        "instances": instances,
        "seconds": elapsed,
        "ms_per_tick": 1000 * elapsed / ticks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=10)
    minutes = parser.parse_args().minutes
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(
        "| schedules | virtual minutes | ticks | instances (incl. warm-up) | wall (s) |"
        " ms per tick |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, file in (("none", ""), ("the sample's two", "schedules/schedules.json")):
        result = run(minutes, file)
        print(
            f"| {label} | {minutes} | {result['ticks']:.0f} | {result['instances']:.0f} |"
            f" {result['seconds']:.1f} | {result['ms_per_tick']:.1f} |"
        )


if __name__ == "__main__":
    main()
