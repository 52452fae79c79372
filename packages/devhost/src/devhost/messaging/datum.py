"""Trigger data and metadata in the shape the Functions host sends to the Python worker.

azure-functions' own converters (``ServiceBusMessageInConverter``, ``QueueMessageInConverter``,
``TimerRequestConverter``) decode what is built here, so a function sees the same
``func.ServiceBusMessage`` / ``func.QueueMessage`` / ``func.TimerRequest`` as in Azure:
single messages carry scalar metadata (``MessageId``, ``DeliveryCount``, ...); batches
(``cardinality: many``) carry ``...Array`` metadata, which is how the converter tells them apart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from azure.functions.meta import Datum

from devhost._sqlite import to_ts
from devhost.messaging.servicebus import ReceivedMessage
from devhost.messaging.storage_queues import QueueMessage

__all__ = ["queue_trigger", "servicebus_batch", "servicebus_single", "timer_trigger"]

_STATE_ACTIVE = 0  # ServiceBusMessageState.Active


def _text_or_bytes(body: bytes) -> Datum:
    try:
        return Datum(body.decode("utf-8"), "string")
    except UnicodeDecodeError:
        return Datum(body, "bytes")


def _moment(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a ``Z``, a form azure.functions parses in the timer's status."""
    return None if value is None else to_ts(value)


def _metadata_time(value: datetime | None) -> str | None:
    """UTC time in the first format azure-functions tries, so decoding stays cheap: it tests
    a dozen ``strptime`` formats in turn, and that dominated the per-message cost."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    fraction = ".%f" if value.microsecond else ""
    return value.strftime(f"%Y-%m-%dT%H:%M:%S{fraction}+00:00")


def _fields(m: ReceivedMessage) -> dict[str, Any]:
    """The message's metadata values by the names the host uses (None: not set)."""
    props = m.properties
    ttl = props.get("time_to_live")
    return {
        "MessageId": m.message_id,
        "SessionId": m.session_id,
        "CorrelationId": props.get("correlation_id"),
        "ContentType": props.get("content_type"),
        "Label": props.get("subject"),
        "Subject": props.get("subject"),
        "To": props.get("to"),
        "ReplyTo": props.get("reply_to"),
        "ReplyToSessionId": props.get("reply_to_session_id"),
        "PartitionKey": props.get("partition_key"),
        "DeliveryCount": m.delivery_count,
        "SequenceNumber": m.sequence_number,
        "EnqueuedTimeUtc": _metadata_time(m.enqueued_at),
        "ExpiresAtUtc": _metadata_time(m.expires_at),
        "ScheduledEnqueueTimeUtc": _metadata_time(m.scheduled_at),
        "LockedUntil": _metadata_time(m.locked_until),
        "LockToken": m.lock_token,
        "TimeToLive": None if ttl is None else str(int(ttl)),
        "State": _STATE_ACTIVE,
        "DeadLetterReason": m.dead_letter_reason,
        "DeadLetterErrorDescription": m.dead_letter_description,
        "DeadLetterSource": m.dead_letter_source,
    }


def servicebus_single(m: ReceivedMessage) -> tuple[Datum, dict[str, Datum]]:
    """Data and metadata of one message (``cardinality: one``)."""
    metadata: dict[str, Datum] = {}
    for name, value in _fields(m).items():
        if value is None:
            continue
        metadata[name] = Datum(value, "int" if isinstance(value, int) else "string")
    properties = json.dumps(m.application_properties)
    metadata["UserProperties"] = Datum(properties, "json")
    metadata["ApplicationProperties"] = Datum(properties, "json")
    return _text_or_bytes(m.body), metadata


def servicebus_batch(messages: list[ReceivedMessage]) -> tuple[Datum, dict[str, Datum]]:
    """Data and metadata of a batch (``cardinality: many``): bodies and per-field arrays."""
    rows = [_fields(m) for m in messages]
    metadata = {
        f"{name}Array": Datum(json.dumps([row[name] for row in rows]), "json") for name in rows[0]
    }
    properties = json.dumps([m.application_properties for m in messages])
    metadata["UserPropertiesArray"] = Datum(properties, "json")
    metadata["ApplicationPropertiesArray"] = Datum(properties, "json")
    # The worker receives a protobuf CollectionBytes; the converter only reads its ``bytes``.
    data = Datum(SimpleNamespace(bytes=[m.body for m in messages]), "collection_bytes")
    return data, metadata


def queue_trigger(m: QueueMessage) -> tuple[Datum, dict[str, Datum]]:
    """Data and metadata of a storage-queue message."""
    metadata = {
        "Id": Datum(m.id, "string"),
        "DequeueCount": Datum(m.dequeue_count, "int"),
        "InsertionTime": Datum(_metadata_time(m.inserted_at), "string"),
        "ExpirationTime": Datum(_metadata_time(m.expires_at), "string"),
        "NextVisibleTime": Datum(_metadata_time(m.visible_at), "string"),
        "PopReceipt": Datum(m.pop_receipt, "string"),
    }
    return _text_or_bytes(m.body), metadata


def timer_trigger(
    *, past_due: bool, last: datetime | None, occurrence: datetime, updated: datetime
) -> Datum:
    """A timer tick. ``ScheduleStatus.Next`` is the occurrence being fired and ``Last`` the one
    before it, as the host's status reads at the moment it invokes the function."""
    status = {
        "Last": _moment(last) or "0001-01-01T00:00:00",
        "Next": _moment(occurrence),
        "LastUpdated": _moment(updated),
    }
    return Datum(
        json.dumps(
            {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status, "IsPastDue": past_due}
        ),
        "json",
    )
