"""The real app on devhost (virtual clock, Azurite, SQLite) for the device-events tests, and what
the tests do to it: send device messages, read entities, instances and the app database."""

from __future__ import annotations

import contextlib
import json
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from devhost.testing import DevHost

import runtime
from examples.device_events import Sender

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "device-events"


@dataclass
class DeviceApp:
    host: DevHost
    folder: Path
    sender: Sender

    @property
    def db(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.folder / 'app.sqlite'}")

    # ------------------------------------------------------------------------- sending
    def send(
        self,
        body: Any,
        *,
        session_id: str | None = None,
        message_id: str | None = None,
        settle: bool = True,
    ) -> None:
        status, text = self.sender.send(body, session_id=session_id, message_id=message_id)
        assert status == 201, text
        if settle:
            self.host.wait_idle()

    def send_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.send(event, message_id=f"m-{event['eventId']}", settle=False)
        self.host.wait_idle(timeout=300)

    def close_windows(self) -> None:
        """Let every open window's time run out, and wait until all that follows is done."""
        self.host.advance(duration="PT5M")
        self.host.wait_idle(timeout=300)

    # ------------------------------------------------------------------------- reading
    def entity(self, device: str) -> dict[str, Any] | None:
        """The device entity's state, read as an operator does: the management API."""
        answer = self.host.http(
            "GET", f"/api/entities/device/{urllib.parse.quote(device, safe='')}"
        )
        if answer.status == 404:
            return None
        assert answer.status == 200, answer.text
        found = answer.json()
        assert (found["name"], found["key"]) == ("device", device), found
        return dict(found["state"])

    def status(self, device: str) -> dict[str, Any] | None:
        return self.host.status(device)

    def raised(self, device: str, name: str = "deviceEvent") -> int:
        """How many ``name`` events the device's current run received."""
        return sum(
            1 for e in self.host.history(device) if e["EventType"] == 15 and e.get("Name") == name
        )

    def stored(self, device: str | None = None) -> list[dict[str, Any]]:
        where = "" if device is None else " WHERE device_id = :d"
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT event_id, device_id, event_type, batch_id FROM device_events"
                    f"{where} ORDER BY received_at, event_id"
                ),
                {"d": device},
            )
            return [dict(r._mapping) for r in rows]

    def record(self, device: str) -> dict[str, Any] | None:
        with self.db.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT body, version FROM records WHERE collection = 'devices' AND"
                    " record_key = :d"
                ),
                {"d": device},
            ).first()
        return None if row is None else {"body": json.loads(row[0]), "version": row[1]}

    def quarantined(self, message_id: str) -> dict[str, Any] | None:
        answer = self.host.http("GET", f"/api/quarantine/{message_id}")
        return answer.json() if answer.status == 200 else None

    def counts(self, queue: str = QUEUE) -> dict[str, Any]:
        counts: dict[str, Any] = self.host.http("GET", f"/admin/devhost/queues/{queue}").json()
        return counts


def app_settings(folder: Path, **overrides: str) -> dict[str, str]:
    workflows = folder / "workflows"
    shutil.copytree(ROOT / "workflows", workflows, dirs_exist_ok=True)
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "WORKFLOWS_PATH": str(workflows),
        **overrides,
    }


@contextlib.contextmanager
def running_app(folder: Path, **overrides: str) -> Iterator[DeviceApp]:
    """The real app (function_app.py at the repository root) with its own database."""
    runtime.reset()  # the process-wide runtime must read this host's settings
    try:
        with DevHost(
            ROOT,
            clock="virtual",
            data_dir=folder / "devhost",
            settings=app_settings(folder, **overrides),
        ) as host:
            runtime.runtime()  # the app's tables exist before a test looks at them
            sender = Sender(host.base_url)
            try:
                yield DeviceApp(host, folder, sender)
            finally:
                sender.close()
    finally:
        runtime.reset()
