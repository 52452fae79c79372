"""What the dashboard's tests do to the product app: send a schema-change message through the
real queue and ingress, and start a document approval that way."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from support.app_host import ProductHost

MESSAGES = Path(__file__).resolve().parents[3] / "examples" / "messages"

__all__ = ["MESSAGES", "send", "submit"]


def send(app: ProductHost, body: str | bytes) -> str:
    """A message through the real queue and ingress; waits until what it caused is done."""
    message_id = f"msg-{uuid.uuid4()}"
    answer = app.host.http(
        "POST",
        "/admin/devhost/queues/schema-changes/messages",
        data=body,
        params={"messageId": message_id},
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text
    app.host.wait_idle()
    return message_id


def submit(app: ProductHost, example: str = "tier2-single-approver", **changes: Any) -> str:
    """A document approval started by ingress, now waiting for votes; its instance id."""
    message = json.loads((MESSAGES / f"{example}.json").read_text())
    message.update(documentId=str(uuid.uuid4()), **changes)
    send(app, json.dumps(message))
    status = app.host.status(message["documentId"])
    assert status is not None and status["runtimeStatus"] == "Running", status
    return str(message["documentId"])
