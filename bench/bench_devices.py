"""Device events through ingress, entity and workflow, end to end on devhost.

    python -m bench.bench_devices [--case many|few|both] [--rounds 1]

Two cases from the seed plan: 1,000 devices with one event each (1,000 workflows at once) and
10 devices with 200 events each (batch size 50, so windows close early while events stream).
The real app runs on devhost as ``make run`` runs it (orchestrations in a worker process),
with the virtual clock. Events are sent to the session queue ``device-events`` scheduled a
minute ahead, so none is consumed while sending; the clock is then moved to that minute and
the ingress phase ends when devhost is idle: every message received, every event recorded in
its entity and routed to (or starting) its device's workflow. Then the clock is moved past the
windows' end and the run ends when every workflow has completed. Every event is checked to be
stored exactly once in the app database and gone from its entity.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from devhost.testing import DevHost

from examples.device_events import Sender, device_events

ROOT = Path(__file__).resolve().parents[1]
CASES = {"many": (1000, 1), "few": (10, 200)}


def run(devices: int, per_device: int, batch_size: int = 50) -> dict[str, Any]:
    names = [f"bench-{n:04d}" for n in range(devices)]
    events = device_events(names, per_device, seed=devices)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = {
            "DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite'}",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(tmp / "library"),
            "DEVICE_BATCH_SIZE": str(batch_size),
        }
        with DevHost(
            ROOT, clock="virtual", settings=settings, data_dir=tmp / "data", worker_processes=None
        ) as host:
            when = (host.now() + timedelta(minutes=1)).isoformat()
            senders = [Sender(host.base_url) for _ in range(8)]
            try:

                def send(chunk: int) -> None:
                    for event in events[chunk::8]:
                        status, text = senders[chunk].send(event, scheduled=when)
                        assert status == 201, text

                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(send, range(8)))
            finally:
                for sender in senders:
                    sender.close()
            began = time.perf_counter()
            host.advance(seconds=60, settle_timeout=1800)
            ingested = time.perf_counter()
            host.advance(duration="PT5M", settle_timeout=1800)
            closed = time.perf_counter()
            _check(host, settings["DATABASE_URL"], names, events)
    total = len(events)
    return {
        "devices": devices,
        "per_device": per_device,
        "events": total,
        "ingest_s": ingested - began,
        "events_per_s": total / (ingested - began),
        "all_closed_s": closed - began,
        "end_to_end_per_s": total / (closed - began),
    }


def _check(
    host: DevHost, database_url: str, names: list[str], events: list[dict[str, Any]]
) -> None:
    """Every event stored once, every workflow completed, every entity emptied."""
    with sa.create_engine(database_url).connect() as conn:
        stored = [r[0] for r in conn.execute(sa.text("SELECT event_id FROM device_events"))]
    if sorted(stored) != sorted(e["eventId"] for e in events):
        raise RuntimeError(
            f"{len(events)} events sent, {len(stored)} rows stored ({len(set(stored))} distinct)"
        )
    for name in names:
        status = host.status(name) or {}
        entity = host.http(
            "GET", f"/runtime/webhooks/durabletask/entities/device/{quote(name)}"
        ).json()
        if status.get("runtimeStatus") != "Completed" or entity["events"]:
            raise RuntimeError(
                f"{name}: {status.get('runtimeStatus')}, "
                f"{len(entity['events'])} events left in its entity"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=[*CASES, "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    cases = list(CASES) if args.case == "both" else [args.case]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "| devices | events per device | events | ingress phase (s) | events/s through "
        "ingress, entity and workflow | until all windows closed (s) | events/s end to end |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for _ in range(args.rounds):
        for case in cases:
            r = run(*CASES[case])
            print(
                f"| {r['devices']} | {r['per_device']} | {r['events']} | {r['ingest_s']:.1f} |"
                f" {r['events_per_s']:.0f} | {r['all_closed_s']:.1f} |"
                f" {r['end_to_end_per_s']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
