"""Helpers for the API and ingress tests: the api_app on devhost and approvals made with the
services directly (what the real workflow's steps would have created)."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from devhost.testing import DevHost, Response

import runtime
from services import OpenedApproval, open_approval, register_document, start_revision
from services.db import metadata
from services.drafting import DOCUMENTS_CONTAINER, draft_blob_name

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "tests" / "apps" / "api_app"
QUEUE = "schema-changes"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The example policy's people (examples/approval-policy.json).
MEMBERS = {
    "Data Steward": {
        "name": "Dana Steward",
        "email": "dana.steward@example.com",
        "principalId": "dana.steward@example.com",
    },
    "DBA": {
        "name": "Dev Dba",
        "email": "dev.dba@example.com",
        "principalId": "dev.dba@example.com",
    },
    "Compliance": {
        "name": "Casey Compliance",
        "email": "casey.compliance@example.com",
        "principalId": "casey.compliance@example.com",
    },
}


def easy_auth_principal(email: str, object_id: str = "00000000-0000-0000-0000-0000000000aa") -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` header as App Service authentication sends it."""
    principal = {
        "auth_typ": "aad",
        "name_typ": "preferred_username",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": [
            {"typ": "preferred_username", "val": email},
            {
                "typ": "http://schemas.microsoft.com/identity/claims/objectidentifier",
                "val": object_id,
            },
        ],
    }
    return base64.b64encode(json.dumps(principal).encode()).decode()


@dataclass
class ApiApp:
    """The running app and what tests do to it."""

    host: DevHost
    folder: Path

    @property
    def engine(self) -> sa.Engine:
        return runtime.runtime().adapters.database

    # ------------------------------------------------------------------- Service Bus
    def send(self, body: str | bytes, message_id: str | None = None) -> str:
        """Send through devhost's admin route, then wait until everything it caused is done."""
        message_id = message_id or f"msg-{uuid.uuid4()}"
        answer = self.host.http(
            "POST",
            f"/admin/devhost/queues/{QUEUE}/messages",
            data=body,
            params={"messageId": message_id},
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 201, answer.text
        self.host.wait_idle()
        return message_id

    def queue_counts(self) -> dict[str, Any]:
        return self.host.http("GET", f"/admin/devhost/queues/{QUEUE}").json()

    def dead_letters(self) -> list[dict[str, Any]]:
        answer = self.host.http("GET", f"/admin/devhost/queues/{QUEUE}/deadletter").json()
        return list(answer["messages"])

    def submit(self, **changes: Any) -> dict[str, Any]:
        """A valid schema-change message through the queue: ingress starts its workflow."""
        message = {
            "documentId": str(uuid.uuid4()),
            "physicalName": "sales.orders",
            "databaseName": "warehouse",
            "changeType": "Altered",
            "requestedBy": "rita.requester@example.com",
            **changes,
        }
        self.send(json.dumps(message))
        return message

    # ------------------------------------------------------------------------ approvals
    def open_approval(
        self,
        document_id: str,
        roles: Sequence[str] = ("Data Steward", "DBA"),
        *,
        opened_at: datetime | None = None,
        sla_hours: int = 48,
    ) -> OpenedApproval:
        """What notify_approvers does: one request (and token) per role, deadline fixed."""
        assessment = {
            "route": "all",
            "tier": 2,
            "tierName": "Table, view or procedure",
            "slaHours": sla_hours,
            "score": 0.5,
            "requiredRoles": list(roles),
            "approvers": [{"role": r, "members": [MEMBERS[r]]} for r in roles],
        }
        current = runtime.runtime()
        return open_approval(
            current.adapters.database,
            current.keys,
            document_id=document_id,
            instance_id=document_id,
            assessment=assessment,
            now=opened_at or datetime.now(UTC),
        )

    def case(
        self,
        roles: Sequence[str] = ("Data Steward", "DBA"),
        *,
        opened_at: datetime | None = None,
        with_workflow: bool = True,
    ) -> tuple[str, dict[str, str]]:
        """A submitted document with an open approval: ``(documentId, {role: token})``."""
        if with_workflow:
            document_id = self.submit()["documentId"]
        else:  # a document whose workflow is gone (or never ran): only the records
            document_id = str(uuid.uuid4())
            register_document(
                self.engine,
                document_id=document_id,
                instance_id=document_id,
                database_name="warehouse",
                physical_name="sales.orders",
                change_type="Altered",
                requested_by="rita@example.com",
                now=datetime.now(UTC),
            )
        # What the real workflow's first step does: start the document's revision 1.
        start_revision(
            self.engine,
            document_id=document_id,
            instance_id=document_id,
            run_id=f"run-{document_id}",
            database_name="warehouse",
            physical_name="sales.orders",
            change_type="Altered",
            requested_by="rita@example.com",
            now=datetime.now(UTC),
        )
        opened = self.open_approval(document_id, roles, opened_at=opened_at)
        return document_id, {r.role: str(r.token) for r in opened.requests}

    def put_draft(self, document_id: str, content: bytes = b"PK\x03\x04 draft") -> None:
        runtime.runtime().adapters.blobs.put(
            DOCUMENTS_CONTAINER, draft_blob_name(document_id), content, content_type=DOCX
        )

    def decide(
        self,
        token: str,
        decision: str = "approve",
        comment: str = "",
        headers: dict[str, str] | None = None,
    ) -> Response:
        return self.host.http(
            "POST",
            f"/api/approvals/{token}",
            json={"decision": decision, "comment": comment},
            headers=headers,
        )

    def received(self, instance_id: str) -> list[dict[str, Any]]:
        """The approval events the test workflow got so far."""
        self.host.wait_idle()
        status = self.host.status(instance_id)
        assert status is not None
        return list((status.get("customStatus") or {}).get("received", []))

    def votes(self, document_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM votes WHERE document_id = :d"), {"d": document_id}
            )
            return [dict(r._mapping) for r in rows]

    # ------------------------------------------------------------------------ snapshots
    def snapshot(self, instance_id: str) -> dict[str, Any]:
        """Every row of every app table, plus the instance's history and status."""
        with self.engine.connect() as conn:
            tables = {
                t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
                for t in metadata.sorted_tables
            }
        return {
            "tables": tables,
            "history": self.host.history(instance_id),
            "status": self.host.status(instance_id),
        }


def app_settings(folder: Path, *, trust_easy_auth: bool) -> dict[str, str]:
    examples = ROOT / "examples"
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "SOURCE_DATABASES": json.dumps(
            {
                "warehouse": f"sqlite:///{examples / 'warehouse.sqlite'}",
                "finance": f"sqlite:///{examples / 'finance.sqlite'}",
            }
        ),
        "APPROVAL_POLICY_FILE": str(examples / "approval-policy.json"),
        "PUBLIC_BASE_URL": "http://approvals.example.test",
        "TRUST_EASY_AUTH": "true" if trust_easy_auth else "false",
    }


@contextlib.contextmanager
def running_app(
    folder: Path, *, trust_easy_auth: bool = False, **overrides: str
) -> Iterator[ApiApp]:
    """The api_app on devhost (virtual clock, Azurite) with its own database and folders."""
    runtime.reset()  # the process-wide runtime must read this host's settings
    settings = {**app_settings(folder, trust_easy_auth=trust_easy_auth), **overrides}
    try:
        with DevHost(APP, clock="virtual", data_dir=folder / "devhost", settings=settings) as host:
            yield ApiApp(host, folder)
    finally:
        runtime.reset()


def header(answer: Response, name: str) -> str:
    """A response header by name, whatever case the server wrote it in."""
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), "")
