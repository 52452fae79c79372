"""Schema-change messages: check them, then start one document-approval workflow per document.

A message that can never succeed (not JSON, not the schema, an unknown database, a document id
already used for another object) is quarantined with a reason code and completed, so Service
Bus does not redeliver it ten times into the dead-letter queue. Anything else that fails (the
app database or the durable client is down) raises, so the message is redelivered.
The instance id is the document id: a message for a document whose instance is still pending,
running or suspended starts nothing and leaves a ``duplicate-ignored`` audit event; one for a
document whose run has ended starts a new run, which makes the document's next revision.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ingress._messages import (
    ACTIVE_STATUSES,
    BadMessage,
    InstanceClient,
    MessageSchema,
    Outcome,
    ReceivedMessage,
    load_json,
    quarantine,
    runtime_status,
)
from services import (
    IdempotencyMismatch,
    append_next,
    derive_id,
    register_document,
)
from services.text import log_text

__all__ = [
    "ACTIVE_STATUSES",
    "QUEUE",
    "SCHEMA_FILE",
    "BadMessage",
    "InstanceClient",
    "Outcome",
    "ReceivedMessage",
    "SchemaChange",
    "accept_schema_change",
    "parse_schema_change",
]

log = logging.getLogger(__name__)

QUEUE = "schema-changes"
WORKFLOW = "document-approval"
ORCHESTRATOR = "workflow"  # the generic interpreter (orchestration.blueprint)
SCHEMA_FILE = Path(__file__).with_name("schema-change.schema.json")
_SCHEMA = MessageSchema(SCHEMA_FILE, "a schema-change message")


@dataclass(frozen=True)
class SchemaChange:
    """A valid schema-change message; ``document_id`` is lower case (it names the instance)."""

    document_id: str
    physical_name: str
    database_name: str
    change_type: str
    requested_by: str

    def to_json(self) -> dict[str, str]:
        return {
            "documentId": self.document_id,
            "physicalName": self.physical_name,
            "databaseName": self.database_name,
            "changeType": self.change_type,
            "requestedBy": self.requested_by,
        }


def parse_schema_change(body: bytes) -> SchemaChange:
    """The message in ``body``, or ``BadMessage`` (``not-json`` / ``schema-invalid``) listing
    every problem, each naming its field."""
    message = load_json(body, "not-json")
    problems = _SCHEMA.problems(message)
    if problems:
        raise BadMessage("schema-invalid", {"errors": problems})
    return SchemaChange(
        document_id=message["documentId"].lower(),
        physical_name=message["physicalName"],
        database_name=message["databaseName"],
        change_type=message["changeType"],
        requested_by=message["requestedBy"],
    )


async def accept_schema_change(
    message: ReceivedMessage,
    *,
    engine: Engine,
    databases: Container[str],
    client: InstanceClient,
    now: datetime,
) -> Outcome:
    """Check a message and start its workflow, ignore it as a duplicate, or quarantine it."""
    try:
        change = parse_schema_change(message.body)
        if change.database_name not in databases:
            raise BadMessage(
                "unknown-database",
                {
                    "field": "databaseName",
                    "message": f"databaseName: {change.database_name!r} is not a configured "
                    "source database (SOURCE_DATABASES)",
                },
            )
        try:
            # First, whatever the instance is doing: a document id names one object for good,
            # so another object under it is a conflict, never a duplicate.
            register_document(
                engine,
                document_id=change.document_id,
                instance_id=change.document_id,
                database_name=change.database_name,
                physical_name=change.physical_name,
                change_type=change.change_type,
                requested_by=change.requested_by,
                now=now,
            )
        except IdempotencyMismatch as error:
            raise BadMessage(
                "document-conflict", {"field": "documentId", "message": error.detail}
            ) from None
        instance = await client.get_status(change.document_id, show_input=True)
        status = runtime_status(instance)
        if _started_by(instance) == message.key:
            # A redelivery of the message that started this run (the completion was lost):
            # whatever the run's state, it is this message's run. Start nothing, record nothing.
            return Outcome(
                "already-started",
                message.key,
                change.document_id,
                details={"runtimeStatus": status},
            )
        if status in ACTIVE_STATUSES:
            return _ignore_duplicate(engine, message, change, status, now)
    except BadMessage as bad:
        return quarantine(engine, message, bad, now)
    # None, Completed, Failed or Terminated: a new run, which makes the document's next
    # revision (a second change of a finished document is a new revision, not a replay).
    await client.start_new(
        ORCHESTRATOR,
        change.document_id,
        {"workflow": WORKFLOW, "input": {**change.to_json(), "messageId": message.key}},
    )
    log.info(
        "schema change %s: started workflow %s for %s.%s (instance was %s)",
        log_text(message.key),
        change.document_id,
        change.database_name,
        change.physical_name,
        status or "new",
    )
    return Outcome("started", message.key, change.document_id)


def _started_by(instance: Any) -> str | None:
    """The message id the instance's current run was started for, if ingress started it."""
    started = getattr(instance, "input_", None)
    if isinstance(started, str):
        try:
            started = json.loads(started)
        except ValueError:
            return None
    if not isinstance(started, dict) or not isinstance(started.get("input"), dict):
        return None
    message_id = started["input"].get("messageId")
    return message_id if isinstance(message_id, str) else None


def _ignore_duplicate(
    engine: Engine, message: ReceivedMessage, change: SchemaChange, status: str, now: datetime
) -> Outcome:
    # The event id names the message, so a redelivery of it records nothing new.
    append_next(
        engine,
        change.document_id,
        event_id=derive_id(change.document_id, "duplicate-ignored", message.key),
        event_type="duplicate-ignored",
        data={"messageId": message.key, "source": QUEUE, **change.to_json()},
        now=now,
    )
    log.warning(
        "schema change %s: instance %s is %s; duplicate ignored, nothing started",
        log_text(message.key),
        change.document_id,
        status,
    )
    return Outcome(
        "duplicate-ignored", message.key, change.document_id, details={"runtimeStatus": status}
    )
