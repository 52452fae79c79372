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

import hashlib
import json
import logging
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy.engine import Engine

from services import (
    IdempotencyMismatch,
    InvalidInput,
    append_next,
    derive_id,
    quarantine_message,
    register_document,
)
from services.json_input import JsonInputError, parse_json
from services.text import check_name, log_text

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
# An instance in one of these states is this document's workflow at work: start nothing.
ACTIVE_STATUSES = ("Pending", "Running", "Suspended")


@dataclass(frozen=True)
class SchemaChange:
    """A valid schema-change message; ``document_id`` is lower case (it names the instance)."""

    document_id: str
    physical_name: str
    database_name: str
    change_type: str
    requested_by: str

    def to_json(self) -> dict[str, str]:
        return {"documentId": self.document_id, "physicalName": self.physical_name,
                "databaseName": self.database_name, "changeType": self.change_type,
                "requestedBy": self.requested_by}


class BadMessage(Exception):
    """A message that will never succeed: ``reason`` is the quarantine reason code."""

    def __init__(self, reason: str, details: dict[str, Any]) -> None:
        super().__init__(f"{reason}: {details}")
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class ReceivedMessage:
    """What ingress needs of a Service Bus message."""

    message_id: str | None
    body: bytes
    delivery_count: int = 1

    @property
    def key(self) -> str:
        """The message id, or (a broker that sends none) one derived from the body."""
        return self.message_id or derive_id(QUEUE, hashlib.sha256(self.body).hexdigest())


@dataclass(frozen=True)
class Outcome:
    """What ingress did with a message: ``started``, ``already-started`` (a redelivery of the
    message that started the current run), ``duplicate-ignored`` or ``quarantined``."""

    action: str
    message_id: str
    document_id: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class InstanceClient(Protocol):
    """The two calls of ``DurableOrchestrationClient`` that ingress makes."""

    async def get_status(self, instance_id: str) -> Any: ...

    async def start_new(self, orchestration_function_name: str, instance_id: str | None = None,
                        client_input: Any | None = None) -> str: ...


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _describe(error: ValidationError, properties: dict[str, Any]) -> list[dict[str, str]]:
    """A schema error as ``[{"field", "message"}]``, each message saying what was expected."""
    if error.validator == "required":
        # jsonschema reports each missing name separately but only in its message text, so
        # name every missing one from the instance; duplicates are dropped by the caller.
        return [{"field": name,
                 "message": f"{name}: is required; expected {properties[name]['description']}"}
                for name in error.validator_value if name not in error.instance]
    if error.validator == "additionalProperties":
        return [{"field": name,
                 "message": f"{name}: not a field of a schema-change message; expected only "
                            f"{', '.join(properties)}"}
                for name in sorted(set(error.instance) - set(properties))]
    if not error.absolute_path:
        return [{"field": "(message)", "message": "(message): expected a JSON object"}]
    name = str(error.absolute_path[0])
    got = json.dumps(error.instance)[:80]
    return [{"field": name,
             "message": f"{name}: expected {properties[name]['description']}, got {got}"}]


def parse_schema_change(body: bytes) -> SchemaChange:
    """The message in ``body``, or ``BadMessage`` (``not-json`` / ``schema-invalid``) listing
    every problem, each naming its field."""
    try:
        message = parse_json(body)
    except JsonInputError as error:
        raise BadMessage("not-json", {"error": f"the body is {error.problem}"}) from None
    validator = _validator()
    properties = validator.schema["properties"]
    # One error per field: "" breaks both minLength and pattern, but one message says it.
    by_field: dict[str, dict[str, str]] = {}
    for failure in validator.iter_errors(message):
        for described in _describe(failure, properties):
            by_field.setdefault(described["field"], described)
    # JSON Schema's "$" also matches before a final newline in Python's regex engine, so the
    # patterns alone let "sales.orders\n" through: every field is also checked as a name.
    for name in properties if isinstance(message, dict) else ():
        value = message.get(name)
        if isinstance(value, str) and name not in by_field:
            try:
                check_name(value, name)
            except InvalidInput as error:
                by_field[name] = {"field": name, "message": f"{name}: {error.detail}; expected "
                                                            f"{properties[name]['description']}"}
    if by_field:
        raise BadMessage("schema-invalid", {"errors": [by_field[f] for f in sorted(by_field)]})
    return SchemaChange(document_id=message["documentId"].lower(),
                        physical_name=message["physicalName"],
                        database_name=message["databaseName"],
                        change_type=message["changeType"],
                        requested_by=message["requestedBy"])


def _runtime_status(status: Any) -> str | None:
    """The instance's runtime status name; None when there is no such instance."""
    value = getattr(status, "runtime_status", None)
    return None if value is None else str(getattr(value, "value", value))


async def accept_schema_change(message: ReceivedMessage, *, engine: Engine,
                               databases: Container[str], client: InstanceClient,
                               now: datetime) -> Outcome:
    """Check a message and start its workflow, ignore it as a duplicate, or quarantine it."""
    try:
        change = parse_schema_change(message.body)
        if change.database_name not in databases:
            raise BadMessage("unknown-database", {
                "field": "databaseName",
                "message": f"databaseName: {change.database_name!r} is not a configured "
                           "source database (SOURCE_DATABASES)"})
        try:
            # First, whatever the instance is doing: a document id names one object for good,
            # so another object under it is a conflict, never a duplicate.
            register_document(engine, document_id=change.document_id,
                              instance_id=change.document_id,
                              database_name=change.database_name,
                              physical_name=change.physical_name,
                              change_type=change.change_type,
                              requested_by=change.requested_by, now=now)
        except IdempotencyMismatch as error:
            raise BadMessage("document-conflict", {"field": "documentId",
                                                   "message": error.detail}) from None
        instance = await client.get_status(change.document_id)
        status = _runtime_status(instance)
        if _started_by(instance) == message.key:
            # A redelivery of the message that started this run (the completion was lost):
            # whatever the run's state, it is this message's run. Start nothing, record nothing.
            return Outcome("already-started", message.key, change.document_id,
                           details={"runtimeStatus": status})
        if status in ACTIVE_STATUSES:
            return _ignore_duplicate(engine, message, change, status, now)
    except BadMessage as bad:
        return _quarantine(engine, message, bad, now)
    # None, Completed, Failed or Terminated: a new run, which makes the document's next
    # revision (a second change of a finished document is a new revision, not a replay).
    await client.start_new(ORCHESTRATOR, change.document_id,
                           {"workflow": WORKFLOW,
                            "input": {**change.to_json(), "messageId": message.key}})
    log.info("schema change %s: started workflow %s for %s.%s (instance was %s)",
             log_text(message.key), change.document_id, change.database_name,
             change.physical_name, status or "new")
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


def _ignore_duplicate(engine: Engine, message: ReceivedMessage, change: SchemaChange,
                      status: str, now: datetime) -> Outcome:
    # The event id names the message, so a redelivery of it records nothing new.
    append_next(engine, change.document_id,
                event_id=derive_id(change.document_id, "duplicate-ignored", message.key),
                event_type="duplicate-ignored",
                data={"messageId": message.key, "source": QUEUE, **change.to_json()}, now=now)
    log.warning("schema change %s: instance %s is %s; duplicate ignored, nothing started",
                log_text(message.key), change.document_id, status)
    return Outcome("duplicate-ignored", message.key, change.document_id,
                   details={"runtimeStatus": status})


def _quarantine(engine: Engine, message: ReceivedMessage, bad: BadMessage,
                now: datetime) -> Outcome:
    details = {**bad.details, "deliveryCount": message.delivery_count}
    quarantine_message(engine, message_id=message.key, source=QUEUE, reason=bad.reason,
                       details=details, body=message.body, now=now)
    log.warning("schema change %s quarantined (%s): %s", log_text(message.key), bad.reason,
                log_text(bad.details))
    return Outcome("quarantined", message.key, reason=bad.reason, details=details)
