"""What every Service Bus ingress shares: the received message, the error for a message that
can never succeed, reading a JSON body against a JSON Schema with errors that name each field,
and the instance status calls of the durable client."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy.engine import Engine

from services import InvalidInput, derive_id, quarantine_message
from services.json_input import JsonInputError, parse_json
from services.text import check_name, log_text

__all__ = [
    "ACTIVE_STATUSES",
    "BadMessage",
    "InstanceClient",
    "MessageSchema",
    "Outcome",
    "ReceivedMessage",
    "load_json",
    "quarantine",
    "runtime_status",
]

log = logging.getLogger(__name__)

# An instance in one of these states is at work: route to it, or start nothing.
ACTIVE_STATUSES = ("Pending", "Running", "Suspended")


class BadMessage(Exception):
    """A message that will never succeed: ``reason`` is the quarantine reason code."""

    def __init__(self, reason: str, details: dict[str, Any]) -> None:
        super().__init__(f"{reason}: {details}")
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class ReceivedMessage:
    """What ingress needs of a Service Bus message (``queue``: where it was received)."""

    message_id: str | None
    body: bytes
    delivery_count: int = 1
    queue: str = ""
    session_id: str | None = None
    enqueued_at: datetime | None = None

    @property
    def key(self) -> str:
        """The message id, or (a broker that sends none) one derived from the body."""
        return self.message_id or derive_id(self.queue, hashlib.sha256(self.body).hexdigest())


@dataclass(frozen=True)
class Outcome:
    """What ingress did with a message (``started``, ``routed``, ``quarantined``, ...)."""

    action: str
    message_id: str
    instance_id: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class InstanceClient(Protocol):
    """The calls of ``DurableOrchestrationClient`` that ingress makes."""

    async def get_status(
        self,
        instance_id: str,
        show_history: bool = False,
        show_history_output: bool = False,
        show_input: bool = False,
    ) -> Any: ...

    async def start_new(
        self,
        orchestration_function_name: str,
        instance_id: str | None = None,
        client_input: Any | None = None,
    ) -> str: ...


def runtime_status(status: Any) -> str | None:
    """The instance's runtime status name; None when there is no such instance."""
    value = getattr(status, "runtime_status", None)
    return None if value is None else str(getattr(value, "value", value))


def load_json(body: bytes, reason: str) -> Any:
    """The body as JSON, or ``BadMessage(reason)`` saying why it is not: not UTF-8, not JSON,
    nested too deeply, or holding an unpaired surrogate (``services.json_input``)."""
    try:
        return parse_json(body)
    except JsonInputError as error:
        raise BadMessage(reason, {"error": f"the body is {error.problem}"}) from None


@dataclass(frozen=True)
class MessageSchema:
    """A message's JSON Schema file; ``problems`` lists ``{"field", "message"}`` per field,
    each message saying what was expected (the schema's ``description`` of the field)."""

    path: Path
    what: str  # "a schema-change message": how the problems name the message

    @cached_property
    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        return schema

    @cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    @property
    def properties(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.schema["properties"]
        return properties

    def problems(self, message: Any) -> list[dict[str, str]]:
        # One problem per field: "" breaks both minLength and pattern, but one message says it.
        by_field: dict[str, dict[str, str]] = {}
        for failure in self.validator.iter_errors(message):
            for described in self._describe(failure):
                by_field.setdefault(described["field"], described)
        # JSON Schema's "$" also matches before a final newline in Python's regex engine, so
        # patterns alone let "sales.orders\n" through: each text field is checked as a name.
        for name in self.properties if isinstance(message, dict) else ():
            value = message.get(name)
            if isinstance(value, str) and name not in by_field:
                try:
                    check_name(value, name)
                except InvalidInput as error:
                    by_field[name] = {
                        "field": name,
                        "message": f"{error.detail}; expected "
                        f"{self.properties[name]['description']}",
                    }
        return [by_field[f] for f in sorted(by_field)]

    def problem(self, name: str, got: Any) -> dict[str, str]:
        """The problem of field ``name`` found by a check the schema cannot express."""
        return {
            "field": name,
            "message": f"{name}: expected "
            f"{self.properties[name]['description']}, got "
            f"{json.dumps(got)[:80]}",
        }

    def _describe(self, error: ValidationError) -> list[dict[str, str]]:
        properties = self.properties
        # "required" and "additionalProperties" apply to objects only, and the former's
        # value is its list of names: the narrowing below is for the checker.
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        if error.validator == "required":
            required = error.validator_value if isinstance(error.validator_value, list) else []
            # jsonschema reports each missing name separately but only in its message text,
            # so name every missing one from the instance; duplicates are dropped by problems.
            return [
                {
                    "field": name,
                    "message": f"{name}: is required; expected {properties[name]['description']}",
                }
                for name in required
                if name not in instance
            ]
        if error.validator == "additionalProperties":
            return [
                {
                    "field": name,
                    "message": f"{name}: not a field of {self.what}; expected only "
                    f"{', '.join(properties)}",
                }
                for name in sorted(set(instance) - set(properties))
            ]
        if not error.absolute_path:
            return [{"field": "(message)", "message": "(message): expected a JSON object"}]
        return [self.problem(str(error.absolute_path[0]), error.instance)]


def quarantine(engine: Engine, message: ReceivedMessage, bad: BadMessage, now: datetime) -> Outcome:
    """Record a message that can never succeed, with its reason, so that it is completed (not
    redelivered into the dead-letter queue); a redelivery of it is recorded once."""
    details = {**bad.details, "deliveryCount": message.delivery_count}
    quarantine_message(
        engine,
        message_id=message.key,
        source=message.queue,
        reason=bad.reason,
        details=details,
        body=message.body,
        now=now,
    )
    log.warning(
        "%s message %s quarantined (%s): %s",
        message.queue,
        log_text(message.key),
        bad.reason,
        log_text(bad.details),
    )
    return Outcome("quarantined", message.key, reason=bad.reason, details=details)
