"""Wall time of a 5-day durable timer on devhost's virtual clock, after one advance.

    python -m bench.bench_virtual_clock [--runs 5]

devhost runs as a process (``--clock virtual``); each run starts an orchestration that waits
5 days, advances the clock by P5D with one POST, and times until the status says Completed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.bench_devhost import APP
from devhost.testing import DevhostProcess

API = "/runtime/webhooks/durabletask"


def _call(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read()
        return answer.status, json.loads(text) if text else None


def run(runs: int) -> list[float]:
    timings = []
    with (
        tempfile.TemporaryDirectory() as data,
        DevhostProcess(APP, Path(data), env={"PATH": "/usr/bin:/bin"}) as host,
    ):
        base = host.base_url
        for i in range(runs):
            _call(f"{base}{API}/orchestrators/five_day_timer/timer-{i}", "POST")
            _call(f"{base}/admin/devhost/idle?timeout=30", "POST")
            began = time.perf_counter()
            _call(f"{base}/admin/devhost/clock/advance", "POST", {"duration": "P5D"})
            while True:
                _, status = _call(f"{base}{API}/instances/timer-{i}")
                assert isinstance(status, dict)
                if status["runtimeStatus"] == "Completed":
                    break
                time.sleep(0.001)
            timings.append(time.perf_counter() - began)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    timings = run(parser.parse_args().runs)
    print("| runs | median wall time after the advance (s) | slowest (s) |")
    print("|---:|---:|---:|")
    print(f"| {len(timings)} | {statistics.median(timings):.3f} | {max(timings):.3f} |")


if __name__ == "__main__":
    main()
