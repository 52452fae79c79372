"""Documents/s through the whole approval: schema change to filed and indexed document.

    python -m bench.bench_approval [--count 50]

Runs the real app on devhost (virtual clock, Azurite, SQLite, .eml outbox, folder library).
Each document is a tier 2 table with two approvers; both votes are raised by script as soon
as the approvers have been asked, the way the API raises them after a redeemed link.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from devhost.testing import DevHost

ROOT = Path(__file__).resolve().parents[1]


def run(count: int) -> dict[str, float]:
    template = json.loads((ROOT / "examples/messages/tier2-table.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = {"DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite'}",
                    "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
                    "DOCUMENT_LIBRARY_DIR": str(tmp / "library")}
        with DevHost(ROOT, clock="virtual", settings=settings, data_dir=tmp / "data",
                     worker_processes=None) as host:
            db = sa.create_engine(settings["DATABASE_URL"])
            began = time.perf_counter()
            ids = []
            for _ in range(count):
                message = {**template, "documentId": str(uuid.uuid4())}
                ids.append(host.start_orchestration(
                    "workflow", {"workflow": "document-approval", "input": message},
                    instance_id=message["documentId"]))
            host.wait_idle(timeout=600)
            asked = time.perf_counter()
            with db.connect() as conn:
                requests = conn.execute(sa.text(
                    "SELECT document_id, request_id FROM approval_requests")).fetchall()
            for document_id, request_id in requests:
                host.raise_event(document_id, "approval",
                                 {"requestId": request_id, "decision": "approve"})
            host.wait_idle(timeout=600)
            finished = time.perf_counter()
            statuses = [host.status(i)["output"]["status"] for i in ids]
            assert statuses == ["Approved"] * count, set(statuses)
    return {"documents": count, "to_asked_s": asked - began, "votes": len(requests),
            "total_s": finished - began, "docs_per_s": count / (finished - began)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50)
    result = run(parser.parse_args().count)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print("| documents | votes | until all asked (s) | total (s) | documents/s |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {result['documents']} | {result['votes']} | {result['to_asked_s']:.1f} |"
          f" {result['total_s']:.1f} | {result['docs_per_s']:.2f} |")


if __name__ == "__main__":
    main()
