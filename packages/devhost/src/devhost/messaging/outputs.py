"""Output bindings ``serviceBus`` and ``queue``: what a function returns or sets on ``func.Out``.

The invoker encodes each value with azure-functions' converter and hands one ``Datum`` per
message to these sinks (a list set on ``func.Out`` arrives as several calls). A JSON array datum
is several messages, as in the Functions host; a storage-queue ``QueueMessage`` arrives as
``{"id", "body"}`` and only its body is kept (the queue assigns ids).
"""

from __future__ import annotations

import json
from typing import Any

from azure.functions.meta import Datum

from devhost.messaging._host import HostLike, resolve
from devhost.messaging.servicebus import OutgoingMessage, ServiceBusBroker
from devhost.messaging.storage_queues import StorageQueues

__all__ = ["queue_sink", "servicebus_sink"]


def _bodies(value: Datum, *, unwrap_queue_message: bool) -> list[bytes]:
    """Message bodies of one encoded output value."""
    if value.type == "bytes":
        return [bytes(value.value)]
    if value.type == "string":
        return [str(value.value).encode("utf-8")]
    if value.type == "json":
        parsed = json.loads(value.value)
        items = parsed if isinstance(parsed, list) else [parsed]
        out = []
        for item in items:
            body = (
                item["body"]
                if unwrap_queue_message and isinstance(item, dict) and set(item) == {"id", "body"}
                else item
            )
            out.append(
                body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
            )
        return out
    raise TypeError(f"output binding value of type {value.type!r} is not a message body")


def servicebus_sink(host: HostLike, broker: ServiceBusBroker) -> Any:
    async def sink(binding: dict[str, Any], value: Datum) -> None:
        key = "topicName" if binding.get("topicName") else "queueName"
        name = resolve(
            binding.get(key),
            host.settings,
            f"serviceBus output binding {binding.get('name')!r} {key}",
        )
        broker.send(
            name, [OutgoingMessage(body=b) for b in _bodies(value, unwrap_queue_message=False)]
        )

    return sink


def queue_sink(host: HostLike, queues: StorageQueues) -> Any:
    async def sink(binding: dict[str, Any], value: Datum) -> None:
        name = resolve(
            binding.get("queueName"),
            host.settings,
            f"queue output binding {binding.get('name')!r} queueName",
        )
        queues.put(name, _bodies(value, unwrap_queue_message=True))

    return sink
