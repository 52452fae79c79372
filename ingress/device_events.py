"""Device events: record each in its device's entity, then route it to the device's running
workflow or start a new one (instance id = device id).

The queue ``device-events`` is session-enabled with session id = device id, so the host hands
one device's messages over in order, one at a time: the check "is the device's workflow
running?" and the start that follows cannot race with another message of the same device.

For each valid message: signal ``record_event`` to the entity ``device`` (key = device id);
then, if the workflow is Pending, Running or Suspended, raise the event ``deviceEvent`` on it,
otherwise start the workflow ``device-events`` with the event as its input. The entity is
signalled first so that whatever the workflow reads from it already holds this event.

The trigger receives the messages of one session in batches (``maxMessageBatchSize``): their
events are recorded with one ``record_events`` signal (``record_event`` applied to each, in
order), the status is read once, and the ``deviceEvent`` raises go out together.

A message that can never succeed is quarantined with a reason code and completed:
``MalformedJson`` (not UTF-8 JSON), ``SchemaValidationFailed`` (not a device event; every
field named) and ``SessionMismatch`` (its session id is not its ``deviceId``). Anything else
that fails (the durable client, the app database) raises, so Service Bus redelivers the
message and, after ``MaxDeliveryCount`` deliveries, dead-letters it.

Redeliveries are harmless: the entity ignores an event id it holds or recently saw (counting a
duplicate), and a start is not repeated when the device's last run was started by this very
event (its input's ``eventId``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import azure.durable_functions as df
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
from services import iso
from telemetry import record_device_event

__all__ = [
    "DATA_LIMIT_BYTES",
    "ENTITY",
    "EVENT_NAME",
    "QUEUE",
    "REASONS",
    "SCHEMA_FILE",
    "WORKFLOW",
    "DeviceClient",
    "DeviceEvent",
    "accept_device_event",
    "accept_device_events",
    "parse_device_event",
]

log = logging.getLogger(__name__)

QUEUE = "device-events"
WORKFLOW = "device-events"
ORCHESTRATOR = "workflow"  # the generic interpreter (orchestration.blueprint)
ENTITY = "device"
EVENT_NAME = "deviceEvent"
SCHEMA_FILE = Path(__file__).with_name("device-event.schema.json")
# Service Bus Standard carries at most 256 KiB; one event's readings are far smaller, and the
# entity holds up to DEVICE_EVENTS_LIMIT of them in its state.
DATA_LIMIT_BYTES = 64 * 1024
# Events recorded with one entity signal when a batch of one session arrives together.
RECORD_CHUNK = 100
REASONS = {
    "MalformedJson": "the body is not JSON (or not UTF-8, or nested too deeply)",
    "SchemaValidationFailed": "the message is not a device event (each field is named)",
    "SessionMismatch": "the message's session id is not its deviceId",
}
_SCHEMA = MessageSchema(SCHEMA_FILE, "a device event")


@dataclass(frozen=True)
class DeviceEvent:
    """A valid device event as sent."""

    event_id: str
    device_id: str
    type: str
    occurred_at: str
    data: dict[str, Any]

    def received(self, received_at: datetime) -> dict[str, Any]:
        """The event as the entity records it and the workflow receives it."""
        return {
            "eventId": self.event_id,
            "deviceId": self.device_id,
            "type": self.type,
            "occurredAt": self.occurred_at,
            "receivedAt": iso(received_at),
            "data": self.data,
        }


class DeviceClient(InstanceClient, Protocol):
    """The calls of ``DurableOrchestrationClient`` that device ingress makes."""

    async def raise_event(
        self, instance_id: str, event_name: str, event_data: Any = None
    ) -> None: ...

    async def signal_entity(
        self, entityId: df.EntityId, operation_name: str, operation_input: Any | None = None
    ) -> None: ...


def _occurred_at(value: str) -> bool:
    """An ISO 8601 date-time with a zone (the schema's format is not checked by jsonschema
    without an extra package, so it is checked here)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() and moment.tzinfo is not None


def _encoded(value: Any) -> bytes | None:
    """UTF-8 JSON of ``value``; None when it holds a lone surrogate (``"\\ud800"`` is valid
    JSON, but no database or UTF-8 consumer can store it)."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None


def parse_device_event(body: bytes) -> DeviceEvent:
    """The event in ``body``, or ``BadMessage`` (``MalformedJson`` or
    ``SchemaValidationFailed``, listing every problem, each naming its field)."""
    message = load_json(body, "MalformedJson")
    problems = _SCHEMA.problems(message)
    if isinstance(message, dict):
        named = {p["field"] for p in problems}
        for name in ("eventId", "deviceId", "type", "occurredAt", "data"):
            value = message.get(name)
            if name in named or value is None:
                continue
            encoded = _encoded(value)
            if encoded is None:
                problems.append(
                    {
                        "field": name,
                        "message": f"{name}: holds a lone surrogate "
                        "(\\ud800-\\udfff), which is not "
                        "text",
                    }
                )
            elif name == "occurredAt" and not _occurred_at(value):
                problems.append(_SCHEMA.problem(name, value))
            elif name == "data" and len(encoded) > DATA_LIMIT_BYTES:
                problems.append(
                    {
                        "field": name,
                        "message": f"data: expected at most "
                        f"{DATA_LIMIT_BYTES} bytes as UTF-8 "
                        f"JSON, got {len(encoded)}",
                    }
                )
    if problems:
        raise BadMessage(
            "SchemaValidationFailed", {"errors": sorted(problems, key=lambda p: p["field"])}
        )
    return DeviceEvent(
        event_id=message["eventId"],
        device_id=message["deviceId"],
        type=message["type"],
        occurred_at=message["occurredAt"],
        data=message["data"],
    )


async def accept_device_event(
    message: ReceivedMessage, *, engine: Engine, client: DeviceClient, now: datetime
) -> Outcome:
    """One message: see :func:`accept_device_events`."""
    [outcome] = await accept_device_events([message], engine=engine, client=client, now=now)
    return outcome


async def accept_device_events(
    messages: Sequence[ReceivedMessage], *, engine: Engine, client: DeviceClient, now: datetime
) -> list[Outcome]:
    """Messages of one session, in order: quarantine those that can never succeed, record the
    others in the device's entity, then route them to its run or start one. ``now`` stands in
    when the broker gave no enqueued time. One outcome per message, in order."""
    outcomes: dict[int, Outcome] = {}
    valid: list[tuple[int, ReceivedMessage, dict[str, Any]]] = []
    for index, message in enumerate(messages):
        try:
            event = parse_device_event(message.body)
            if message.session_id != event.device_id:
                raise BadMessage(
                    "SessionMismatch",
                    {
                        "field": "deviceId",
                        "message": f"deviceId: expected the message's session id "
                        f"{message.session_id!r}, got {event.device_id!r}",
                        "sessionId": message.session_id,
                    },
                )
        except BadMessage as bad:
            outcomes[index] = quarantine(engine, message, bad, now)
            record_device_event("rejected")
            continue
        valid.append((index, message, event.received(message.enqueued_at or now)))
    if valid:
        routed = await _record_and_route(client, [received for _, _, received in valid])
        for (index, message, received), action in zip(valid, routed, strict=True):
            log.info(
                "device event %s (message %r): %s, device %s",
                received["eventId"],
                message.key,
                action,
                received["deviceId"],
            )
            outcomes[index] = Outcome(action, message.key, received["deviceId"])
        for action, count in Counter(routed).items():
            record_device_event(action, count)
    return [outcomes[index] for index in range(len(messages))]


async def _record_and_route(client: DeviceClient, events: list[dict[str, Any]]) -> list[str]:
    """Record the events of one device (in order), then raise each on the device's run, or
    start a run with the first; returns what was done with each."""
    device = events[0]["deviceId"]
    entity = df.EntityId(ENTITY, device)
    for start in range(0, len(events), RECORD_CHUNK):
        chunk = events[start : start + RECORD_CHUNK]
        if len(chunk) == 1:
            await client.signal_entity(entity, "record_event", chunk[0])
        else:
            await client.signal_entity(entity, "record_events", chunk)
    status = await client.get_status(device, show_input=True)
    if runtime_status(status) in ACTIVE_STATUSES:
        failed = await _raise_each(client, device, events)
        if not failed:
            return ["routed"] * len(events)
        # 410: the run ended between our look and the events; anything else is transient.
        status = await client.get_status(device, show_input=True)
        if runtime_status(status) in ACTIVE_STATUSES:
            raise failed[0]
    first = events[0]
    if _started_by(status) == first["eventId"]:
        # This delivery started the run before (a redelivery): the entity holds the events.
        return ["already-started"] * len(events)
    await client.start_new(ORCHESTRATOR, device, {"workflow": WORKFLOW, "input": first})
    failed = await _raise_each(client, device, events[1:])
    if failed:
        raise failed[0]
    return ["started"] + ["routed"] * (len(events) - 1)


async def _raise_each(
    client: DeviceClient, device: str, events: list[dict[str, Any]]
) -> list[BaseException]:
    """Raise ``deviceEvent`` for each event at once (their order does not matter: the run
    counts them, the entity orders them); returns the failures."""
    results = await asyncio.gather(
        *(client.raise_event(device, EVENT_NAME, _notice(event)) for event in events),
        return_exceptions=True,
    )
    return [r for r in results if isinstance(r, BaseException)]


def _notice(event: dict[str, Any]) -> dict[str, Any]:
    """What a routed ``deviceEvent`` carries: the event without its data, which the entity
    holds (the run's history stays small)."""
    return {
        name: event[name] for name in ("eventId", "deviceId", "type", "occurredAt", "receivedAt")
    }


def _started_by(status: Any) -> str | None:
    """The event id that started the device's last run (None: no run, or another input)."""
    request = getattr(status, "input_", None)
    if isinstance(request, str):
        try:
            request = json.loads(request)
        except ValueError:
            return None
    if not isinstance(request, dict) or not isinstance(request.get("input"), dict):
        return None
    started = request["input"].get("eventId")
    return started if isinstance(started, str) else None
