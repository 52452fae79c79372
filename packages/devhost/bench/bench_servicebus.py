"""devhost Service Bus throughput: messages/s through a no-op trigger and through a trigger
that starts an orchestration per message.

    python -m bench.bench_servicebus [--count 2000]

Messages are sent over the admin route scheduled a minute ahead on the virtual clock, so none
is consumed while sending; the clock is then advanced past that minute and the timer stops when
devhost is idle again (every message completed, every orchestration finished). Every receive,
complete and orchestration episode is committed to SQLite (WAL), as in normal runs.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from devhost.testing import DevHost

APP = Path(__file__).resolve().parents[1] / "tests" / "apps" / "messaging_bench_app"


def run(queue: str, count: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as data,
        DevHost(APP, clock="virtual", data_dir=data, worker_processes=None) as host,
    ):
        when = (host.now() + timedelta(minutes=1)).isoformat()

        def send(n: int) -> None:
            answer = host.http(
                "POST",
                f"/admin/devhost/queues/{queue}/messages",
                data=f"message {n}",
                params={"messageId": f"bench-{n}", "scheduledEnqueueTime": when},
            )
            assert answer.status == 201, answer.text

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(send, range(count)))
        sent = time.perf_counter()
        host.advance(seconds=60)
        done = time.perf_counter()
        state = host.http("GET", f"/admin/devhost/queues/{queue}").json()
        assert (state["active"], state["deadLetter"]) == (0, 0), state
        if queue == "bench-orchestrate":
            for n in (0, count - 1):
                assert host.status(f"bench-{n}")["runtimeStatus"] == "Completed"  # type: ignore[index]
    return {
        "count": count,
        "send_per_s": count / (sent - began),
        "handled_per_s": count / (done - sent),
        "handle_s": done - sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    rows = [
        ("no-op trigger", run("bench-noop", args.count)),
        ("start an orchestration per message", run("bench-orchestrate", args.count)),
    ]
    print(
        f"devhost Service Bus, {args.count} messages, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(f"{'trigger':36} {'messages':>8} {'send msg/s':>11} {'handle s':>9} {'msg/s':>8}")
    for name, row in rows:
        print(
            f"{name:36} {row['count']:>8.0f} {row['send_per_s']:>11.0f} "
            f"{row['handle_s']:>9.2f} {row['handled_per_s']:>8.0f}"
        )


if __name__ == "__main__":
    main()
