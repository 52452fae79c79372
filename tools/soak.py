"""`make soak`: the approval journey under kill -9, as a chaos run that prints its figures.

``python -m tools.soak [--documents 500] [--kills 20] [--seed N]`` starts ``python -m devhost
start`` (worker processes, virtual clock, Azurite, SQLite) on a temporary folder, sends mixed
schema changes through the Service Bus stand-in, has the approvers decide through their mailed
links (approve all, one rejects, nobody answers so the SLA escalates and times out), and
kills the host with SIGKILL at random moments, restarting it on the same data each time. At
the end every document must have ended once, and nothing may be doubled:

- lost: a document whose instance is missing or never ended;
- doubled: a document with more than one revision (a redelivery or a retry started twice);
- library: each approved document has exactly one live version of its own, nobody else any;
- index: each approved document exactly one live index version, no other document any;
- outcome mails: exactly one per document;
- every audit chain verifies, and ``PRAGMA integrity_check`` is ok for every SQLite file.

Exit status 0 only when every figure is as it must be. Not part of ``make test`` (minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from devhost.testing import DevhostProcess

from adapters import read_outbox
from services import SigningKeys, audit_trail
from services.approval.tokens import verify_token

REPO_ROOT = Path(__file__).resolve().parents[1]
MESSAGES = REPO_ROOT / "examples" / "messages"
PATHS = (
    "tier1-auto",
    "tier2-single-approver",
    "tier2-table",
    "tier3-personal",
    "tier3-financial",
    "critical",
    "dropped",
    "tier2-view",
)
PLANS = ("approve", "approve", "approve", "reject", "silence")
ENDED = {"Completed", "Failed", "Terminated"}


@dataclass
class Document:
    document_id: str
    path: str
    plan: str
    decided: set[str] = field(default_factory=set)


class Soak:
    def __init__(self, folder: Path, documents: int, kills: int, seed: int) -> None:
        self.random = random.Random(seed)
        self.folder, self.count, self.kills_wanted = folder, documents, kills
        settings = {
            "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
            "MAIL_OUTBOX_DIR": str(folder / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
            "SCHEDULES_TIMER_SCHEDULE": "0 0 0 1 1 *",  # not this run's subject
            "FUNCTIONS_WORKER_PROCESS_COUNT": "1",
        }
        self.host = DevhostProcess(REPO_ROOT, folder / "devhost", env=settings)
        self.db = sa.create_engine(settings["DATABASE_URL"])
        self.documents: dict[str, Document] = {}
        self.kills = 0
        self.keys = SigningKeys.parse(
            json.loads((REPO_ROOT / "local.settings.json").read_text())["Values"][
                "APPROVAL_SIGNING_KEYS"
            ]
        )

    # ----------------------------------------------------------------------- the host
    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An HTTP call that waits out a host being killed and restarted."""
        for _ in range(600):
            try:
                answer = self.host.client.http(method, path, timeout=30, **kwargs)
            except OSError:
                answer = None
            if answer is not None and answer.status not in (502, 503):
                return answer
            time.sleep(0.1)
        raise RuntimeError(f"{method} {path}: the host did not answer for a minute")

    def idle(self) -> None:
        self.call("POST", "/admin/devhost/idle", params={"timeout": "120"})

    def kill_soon(self) -> threading.Thread:
        """SIGKILL the host after a random moment, then start it again on the same data."""
        delay = self.random.uniform(0.0, 1.5)

        def chaos() -> None:
            time.sleep(delay)
            self.host.kill()
            self.kills += 1
            self.host.restart()

        thread = threading.Thread(target=chaos)
        thread.start()
        return thread

    # ------------------------------------------------------------------------ the work
    def submit(self, batch: int) -> None:
        for _ in range(batch):
            path = self.random.choice(PATHS)
            message = json.loads((MESSAGES / f"{path}.json").read_text())
            message["documentId"] = str(uuid.uuid4())
            plan = "approve" if path == "tier1-auto" else self.random.choice(PLANS)
            self.documents[message["documentId"]] = Document(message["documentId"], path, plan)
            answer = self.call(
                "POST",
                "/admin/devhost/queues/schema-changes/messages",
                data=json.dumps(message),
                headers={"Content-Type": "application/json"},
                params={"messageId": f"soak-{message['documentId']}"},
            )
            if answer.status != 201:
                raise RuntimeError(f"send failed: {answer.status} {answer.text}")

    def decide(self) -> None:
        """Every approver of a document whose plan is to decide uses each mailed link once."""
        for mail in read_outbox(self.folder / "outbox"):
            found = re.search(r"/api/approvals/(\S+)", mail.get_content())
            if not found:
                continue
            document = self.documents.get(verify_token(self.keys, found[1]).document_id)
            if document is None or document.plan == "silence" or found[0] in document.decided:
                continue
            rejecting = document.plan == "reject" and not document.decided
            answer = self.call(
                "POST",
                found[0],
                json={"decision": "reject" if rejecting else "approve", "comment": "soak"},
            )
            if answer.status not in (200, 409, 410):
                raise RuntimeError(f"decision answered {answer.status}: {answer.text}")
            document.decided.add(found[0])

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.host.start()
        batches = max(self.kills_wanted, 1)
        per_batch = -(-self.count // batches)
        try:
            while len(self.documents) < self.count:
                chaos = self.kill_soon() if self.kills < self.kills_wanted else None
                self.submit(min(per_batch, self.count - len(self.documents)))
                if chaos is not None:
                    chaos.join()
                self.idle()
                self.decide()
                self.idle()
            for _ in range(3):  # escalation after 48-120 h, time-out 24 h later
                self.call("POST", "/admin/devhost/clock/advance", json={"duration": "PT100H"})
                self.idle()
                self.decide()
                self.idle()
            return self.figures(time.monotonic() - started)
        finally:
            self.host.stop()

    # ---------------------------------------------------------------------- the figures
    def figures(self, seconds: float) -> dict[str, Any]:
        statuses: Counter[str] = Counter()
        lost, doubled, chains = [], [], 0
        outputs: dict[str, Any] = {}
        for document_id in self.documents:
            status = self.call("GET", f"/runtime/webhooks/durabletask/instances/{document_id}")
            runtime = status.json().get("runtimeStatus") if status.status == 200 else None
            statuses[runtime or "missing"] += 1
            if runtime not in ENDED:
                lost.append(document_id)
            outputs[document_id] = status.json().get("output") if status.status == 200 else None
            if not audit_trail(self.db, document_id).verification.ok:
                chains += 1
        with self.db.connect() as conn:
            revisions = Counter(
                r[0] for r in conn.execute(sa.text("SELECT document_id FROM document_revisions"))
            )
            index_rows = list(
                conn.execute(
                    sa.text("SELECT document_id, entry, withdrawn_at FROM master_index_versions")
                )
            )
        doubled = [d for d, n in revisions.items() if n != 1]
        approved = {
            d
            for d, out in outputs.items()
            if isinstance(out, dict) and out.get("status") == "Approved"
        }
        live_index = Counter(r.document_id for r in index_rows if r.withdrawn_at is None)
        index_wrong = [
            d for d in self.documents if live_index.get(d, 0) != (1 if d in approved else 0)
        ]
        library_wrong = self.library_mismatches(index_rows, approved)
        mails: Counter[str] = Counter()
        for mail in read_outbox(self.folder / "outbox"):
            body = mail.get_content()
            for document_id in self.documents:
                if document_id in body and "ended:" in body:
                    mails[document_id] += 1
        mail_wrong = [d for d in self.documents if mails[d] != 1]
        integrity = {
            path.name: sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
            for path in sorted(self.folder.rglob("*.sqlite"))
        }
        return {
            "documents": len(self.documents),
            "kills": self.kills,
            "seconds": round(seconds, 1),
            "instances": dict(statuses),
            "approved": len(approved),
            "lost": len(lost),
            "doubled": len(doubled),
            "library versions wrong": len(library_wrong),
            "index rows wrong": len(index_wrong),
            "outcome mails wrong": len(mail_wrong),
            "chains broken": chains,
            "integrity": integrity,
            "examples": {
                "lost": lost[:3],
                "doubled": doubled[:3],
                "library": library_wrong[:3],
                "index": index_wrong[:3],
                "mail": mail_wrong[:3],
            },
        }

    def library_mismatches(self, index_rows: list[Any], approved: set[str]) -> list[str]:
        """Approved documents whose own library version is not live, plus live versions that
        no approved document's index entry names (a duplicate filing)."""
        named = {
            (
                json.loads(r.entry).get("libraryUrl"),
                json.loads(r.entry).get("libraryVersion"),
            ): r.document_id
            for r in index_rows
            if r.withdrawn_at is None
        }
        wrong: list[str] = []
        live: set[tuple[str, str]] = set()
        for manifest in (self.folder / "library" / ".versions").rglob("versions.json"):
            relative = manifest.parent.relative_to(self.folder / "library" / ".versions")
            url = (self.folder / "library" / relative).resolve().as_uri()
            for version in json.loads(manifest.read_text()):
                if not version.get("removed"):
                    live.add((url, version["id"]))
                    if (url, version["id"]) not in named:
                        wrong.append(f"unnamed {relative}@{version['id']}")
        wrong += [d for key, d in named.items() if d in approved and key not in live]
        return wrong


def render(figures: dict[str, Any]) -> str:
    rows = [(k, v) for k, v in figures.items() if k != "examples"]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {json.dumps(v) if isinstance(v, dict) else v}" for k, v in rows]
    if any(figures["examples"].values()):
        lines.append(f"{'examples':<{width}}  {json.dumps(figures['examples'])}")
    return "\n".join(lines)


def passed(figures: dict[str, Any]) -> bool:
    zero = (
        "lost",
        "doubled",
        "library versions wrong",
        "index rows wrong",
        "outcome mails wrong",
        "chains broken",
    )
    return all(figures[k] == 0 for k in zero) and all(
        v == "ok" for v in figures["integrity"].values()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"soak: {args.documents} documents, {args.kills} kills, seed {seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        figures = Soak(Path(folder), args.documents, args.kills, seed).run()
    print(render(figures))
    ok = passed(figures)
    print("soak:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
