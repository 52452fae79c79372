"""Documents/s through the whole approval: schema change to filed and indexed document.

    python -m bench.bench_approval [--count 50] [--rounds 1] [--workers N]

Runs the real app on devhost (virtual clock, Azurite, SQLite, .eml outbox, folder library),
hosted in this process as ``python -m devhost start`` runs it: orchestrations and activities
in ``FUNCTIONS_WORKER_PROCESS_COUNT`` worker processes (``--workers``, default the app's
setting, 1; 0 keeps them in this process). Each document is a tier 2 table with two
approvers. Three phases, each until devhost is idle:

- drafting: every document submitted at once, until every approver has been asked (record,
  draft, assess, the approval case, the mails);
- voting: the first approver's vote on each document (recorded, the ballot still open);
- filing: the second vote on each, which closes the ballot, and the rest of the journey
  (final document, library, master index, completion).

Votes are raised by script, the way the API raises them after a redeemed link. Each row
gives the time and the CPU per document of each phase, for the host process (this one: HTTP,
the durable engine, the benchmark's own client), the worker processes and Azurite, and the
machine's load average when the round ended.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from devhost.testing import DevHost, process_cpu

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("drafting", "voting", "filing")


@dataclass
class Phase:
    seconds: float
    cpu: dict[str, float]  # CPU seconds by process group: host, workers, azurite


@dataclass
class Round:
    documents: int
    votes: int
    workers: int
    phases: dict[str, Phase] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return sum(phase.seconds for phase in self.phases.values())

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.total_s

    def cpu_ms(self, group: str, phase: str | None = None) -> float:
        """CPU milliseconds per document, of one phase or of all."""
        phases = [self.phases[phase]] if phase else list(self.phases.values())
        return sum(p.cpu[group] for p in phases) / self.documents * 1000


def _meter(host: DevHost) -> Callable[[], dict[str, float]]:
    """CPU seconds so far of this process, the worker processes and Azurite."""
    workers = host.host._episode_workers
    azurite = host.host._azurite

    def read() -> dict[str, float]:
        return {
            "host": time.process_time(),
            "workers": sum(process_cpu(pid) for pid in (workers.pids() if workers else [])),
            "azurite": process_cpu(azurite.process.pid) if azurite is not None else 0.0,
        }

    return read


def run(count: int, workers: int | None) -> Round:
    template = json.loads((ROOT / "examples/messages/tier2-table.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = {
            "DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite'}",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(tmp / "library"),
        }
        if workers is not None:
            settings["FUNCTIONS_WORKER_PROCESS_COUNT"] = str(max(workers, 1))
        with DevHost(
            ROOT,
            clock="virtual",
            settings=settings,
            data_dir=tmp / "data",
            worker_processes=0 if workers == 0 else None,
        ) as host:
            db = sa.create_engine(settings["DATABASE_URL"])
            meter = _meter(host)
            result = Round(
                count,
                0,
                len(host.host._episode_workers.pids()) if host.host._episode_workers else 0,
            )

            def phase(name: str, body: Callable[[], None]) -> None:
                cpu, began = meter(), time.perf_counter()
                body()
                host.wait_idle(timeout=600)
                seconds, after = time.perf_counter() - began, meter()
                result.phases[name] = Phase(seconds, {k: after[k] - cpu[k] for k in cpu})

            ids = [str(uuid.uuid4()) for _ in range(count)]

            def submit() -> None:
                for i in ids:
                    host.start_orchestration(
                        "workflow",
                        {"workflow": "document-approval", "input": {**template, "documentId": i}},
                        instance_id=i,
                    )

            phase("drafting", submit)
            with db.connect() as conn:
                requests = conn.execute(
                    sa.text(
                        "SELECT document_id, request_id FROM approval_requests"
                        " ORDER BY document_id, position"
                    )
                ).fetchall()
            db.dispose()
            first: dict[str, str] = {}
            second: list[tuple[str, str]] = []
            for document_id, request_id in requests:
                if document_id in first:
                    second.append((document_id, request_id))
                else:
                    first[document_id] = request_id
            if len(first) != count or len(second) != count:
                raise RuntimeError(
                    f"{count - len(first)} document(s) did not ask both"
                    f" approvers: {_failures(host, ids)}"
                )
            result.votes = len(requests)

            def vote(pairs: list[tuple[str, str]]) -> None:
                for document_id, request_id in pairs:
                    host.raise_event(
                        document_id, "approval", {"requestId": request_id, "decision": "approve"}
                    )

            phase("voting", lambda: vote(list(first.items())))
            phase("filing", lambda: vote(second))
            statuses = [(host.status(i) or {}).get("output") or {} for i in ids]
            if [s.get("status") for s in statuses] != ["Approved"] * count:
                raise RuntimeError(f"not every document was approved: {_failures(host, ids)}")
    return result


def _failures(host: DevHost, ids: list[str]) -> list[str]:
    """Why the journey stopped short: failed tasks (a retry waits on the clock, which the
    benchmark does not move) and instances that did not complete."""
    found = []
    for instance_id in ids:
        status = host.status(instance_id, history=True) or {}
        for item in status.get("historyEvents", []):
            if item.get("EventType") == "TaskFailed":
                found.append(f"{instance_id}: {item.get('Name')}: {item.get('Reason')}")
        if status.get("runtimeStatus") not in ("Completed", "Running"):
            found.append(f"{instance_id}: {status.get('runtimeStatus')}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="FUNCTIONS_WORKER_PROCESS_COUNT (default: the app's setting);"
        " 0 runs orchestrators and activities in the host process",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(
        "| round | documents | votes | workers | drafting (s) | voting (s) | filing (s)"
        " | total (s) | documents/s | host CPU (ms/doc) | workers CPU (ms/doc)"
        " | Azurite CPU (ms/doc) | load average |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rounds = []
    for number in range(1, args.rounds + 1):
        r = run(args.count, args.workers)
        rounds.append(r)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        seconds = " | ".join(f"{r.phases[p].seconds:.1f}" for p in PHASES)
        print(
            f"| {number} | {r.documents} | {r.votes} | {r.workers} | {seconds} |"
            f" {r.total_s:.1f} | {r.docs_per_s:.2f} | {r.cpu_ms('host'):.0f} |"
            f" {r.cpu_ms('workers'):.0f} | {r.cpu_ms('azurite'):.0f} | {load} |",
            flush=True,
        )
    if len(rounds) > 1:
        print(f"\nmedian: {statistics.median(r.docs_per_s for r in rounds):.2f} documents/s")
    middle = sorted(rounds, key=lambda r: r.docs_per_s)[len(rounds) // 2]
    print("\nCPU per document by phase (ms), the median round:\n")
    print("| phase | host | workers | Azurite |")
    print("|---|---:|---:|---:|")
    for p in PHASES:
        print(
            f"| {p} | {middle.cpu_ms('host', p):.0f} | {middle.cpu_ms('workers', p):.0f} |"
            f" {middle.cpu_ms('azurite', p):.0f} |"
        )


if __name__ == "__main__":
    main()
