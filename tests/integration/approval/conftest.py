"""The document-approval journey on devhost: the real app, a virtual clock, Azurite, a SQLite
app database, an .eml outbox and a folder library, all under a temporary folder."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from devhost.testing import DevHost

from adapters import read_outbox
from services import SigningKeys
from services.approval.tokens import verify_token

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = ROOT / "examples" / "messages"


@dataclass
class Journey:
    """The running app plus what a test inspects: outbox, library, app database."""

    host: DevHost
    folder: Path
    settings: dict[str, str] = field(default_factory=dict)

    def restart(self) -> None:
        """Stop the host and start a new one on the same data, port and clock: in-flight work
        resumes (``DevHost.restart``), and the app is imported afresh, as in a new process."""
        self.host.restart()

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"

    @property
    def library(self) -> Path:
        return self.folder / "library"

    @property
    def db(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.folder / 'app.sqlite'}")

    def message(self, name: str, **changes: Any) -> dict[str, Any]:
        body = json.loads((MESSAGES / f"{name}.json").read_text())
        body["documentId"] = str(uuid.uuid4())
        body.update(changes)
        return body

    def submit(self, message: dict[str, Any]) -> str:
        instance = self.host.start_orchestration(
            "workflow",
            {"workflow": "document-approval", "input": message},
            instance_id=message["documentId"],
        )
        self.host.wait_idle()
        return instance

    def mail_to(self, address: str) -> list[Any]:
        return [m for m in read_outbox(self.outbox) if address in str(m["To"])]

    def requests(self, document_id: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT request_id, role, approver_email, kind FROM approval_requests WHERE"
                    " document_id = :d ORDER BY revision DESC, round, position"
                ),
                {"d": document_id},
            )
            return [dict(r._mapping) for r in rows]

    def link(self, document_id: str, email: str) -> str:
        """The path of the personal approval link mailed to ``email`` for the document."""
        found = []
        for mail in self.mail_to(email):
            match = re.search(r"/api/approvals/(\S+)", mail.get_body(("plain",)).get_content())
            # The mail names the object, not the document id: the signed token does.
            if match and self._token_document(match.group(1)) == document_id:
                found.append(match.group(0))
        assert found, f"no approval link for {document_id} mailed to {email}"
        return found[-1]

    def _token_document(self, token: str) -> str:
        keys = SigningKeys.parse(self.host.host.settings["APPROVAL_SIGNING_KEYS"])
        return verify_token(keys, token).document_id

    def decide(
        self, document_id: str, email: str, decision: str = "approve", comment: str = ""
    ) -> Any:
        """What an approver does: open the mailed link, then post the decision."""
        link = self.link(document_id, email)
        page = self.host.http("GET", link)
        assert page.status == 200, page.text
        answer = self.host.http("POST", link, json={"decision": decision, "comment": comment})
        self.host.wait_idle()
        return answer

    def vote(
        self, document_id: str, email: str, decision: str = "approve", comment: str = ""
    ) -> None:
        """What a script does: raise the approval event with the request id."""
        request = next(r for r in self.requests(document_id) if r["approver_email"] == email)
        answer = self.host.raise_event(
            document_id,
            "approval",
            {"requestId": request["request_id"], "decision": decision, "comment": comment},
        )
        assert answer.status == 202, answer.text
        self.host.wait_idle()

    def audit_types(self, document_id: str) -> list[str]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT event_type FROM audit_events WHERE stream_id = :d ORDER BY version"
                ),
                {"d": document_id},
            )
            return [r[0] for r in rows]


@contextlib.contextmanager
def running_journey(folder: Path, **settings: str) -> Iterator[Journey]:
    """The app on devhost (virtual clock) with its stores under ``folder``."""
    values = {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        # The schedules timer's 15-second ticks would cost minutes over days of virtual SLA.
        "SCHEDULES_TIMER_SCHEDULE": "0 0 0 1 1 *",
        **settings,
    }
    running = Journey(
        DevHost(ROOT, clock="virtual", settings=values, data_dir=folder / "devhost"), folder, values
    )
    running.host.start()
    try:
        yield running
    finally:
        running.host.stop()


# One app per module, never two at once: the app's runtime (settings, adapters) is one per
# process, as in a Functions worker, so two hosts in one process would share it.
@pytest.fixture(scope="module")
def journey(tmp_path_factory) -> Iterator[Journey]:
    with running_journey(tmp_path_factory.mktemp("approval")) as running:
        yield running
