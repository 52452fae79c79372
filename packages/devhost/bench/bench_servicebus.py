"""devhost Service Bus throughput: messages/s through a no-op trigger and through a trigger
that starts an orchestration per message.

    python -m bench.bench_servicebus [--count 2000]

Messages are sent over the admin route scheduled a minute ahead on the virtual clock, so none
is consumed while sending; the clock is then advanced past that minute and the timer stops when
devhost is idle again (every message completed, every orchestration finished). Every receive,
complete and orchestration episode is committed to SQLite (WAL), as in normal runs.

The last row is the broker alone, without the host: the SQL that stores, locks and completes
messages (one transaction per send, receive and complete), where its time format matters; a
scheduled message and an expiring one sit in the queue the whole time, as in normal use.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devhost.messaging._db import connect
from devhost.messaging.config import BrokerConfig, EntityProperties
from devhost.messaging.servicebus import OutgoingMessage, ServiceBusBroker
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


def run_broker(count: int) -> dict[str, float]:
    """Send, receive and complete ``count`` messages one at a time on the broker alone."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now() -> datetime:
        return moment

    config = BrokerConfig()
    config.entities["bench"] = EntityProperties(default_ttl=timedelta(days=1))
    with tempfile.TemporaryDirectory() as data:
        db = connect(Path(data) / "broker.sqlite")
        broker = ServiceBusBroker(db, config, now)
        later = OutgoingMessage(b"later", scheduled_enqueue_time=moment.replace(year=2027))
        broker.send("bench", [later])
        began = time.perf_counter()
        for n in range(count):
            broker.send("bench", [OutgoingMessage(f"message {n}".encode(), message_id=f"b{n}")])
            moment += timedelta(microseconds=7)
        sent = time.perf_counter()
        for _ in range(count):
            [message] = broker.receive("bench")
            broker.complete([message.lock_token or ""])
            broker.next_visible("bench")
            moment += timedelta(microseconds=7)
        done = time.perf_counter()
        assert broker.counts("bench")["active"] == 0
        db.close()
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
        ("broker alone (no host)", run_broker(args.count * 5)),
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
