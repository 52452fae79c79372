"""Output bindings: what azure-functions' converters encode becomes one or more messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions import meta

from devhost.messaging._db import connect
from devhost.messaging.config import BrokerConfig, EntityProperties
from devhost.messaging.outputs import queue_sink, servicebus_sink
from devhost.messaging.servicebus import ServiceBusBroker
from devhost.messaging.storage_queues import StorageQueues


class Settings:
    """Just what the sinks read from a host: its app settings."""

    def __init__(self, **settings: str) -> None:
        self.settings = settings


def now() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


def encode(binding: str, value: Any) -> meta.Datum:
    datum: meta.Datum = meta._ConverterMeta.get(binding).encode(value, expected_type=None)
    return datum


def test_servicebus_output_resolves_settings_and_sends(tmp_path: Path) -> None:
    config = BrokerConfig()
    config.entities["orders"] = EntityProperties()
    broker = ServiceBusBroker(connect(tmp_path / "b.sqlite"), config, now)
    sink = servicebus_sink(Settings(OUT_QUEUE="orders"), broker)  # type: ignore[arg-type]
    binding = {"type": "serviceBus", "name": "out", "queueName": "%OUT_QUEUE%"}
    asyncio.run(sink(binding, encode("serviceBus", "text")))
    asyncio.run(sink(binding, encode("serviceBus", b"\x00bytes")))
    asyncio.run(sink(binding, meta.Datum('["a", {"b": 1}]', "json")))
    got = broker.receive("orders", 10)
    assert [m.body for m in got] == [b"text", b"\x00bytes", b"a", b'{"b": 1}']


def test_queue_output_takes_strings_lists_and_queue_messages(tmp_path: Path) -> None:
    queues = StorageQueues(connect(tmp_path / "b.sqlite"), now)
    sink = queue_sink(Settings(), queues)  # type: ignore[arg-type]
    binding = {"type": "queue", "name": "out", "queueName": "work"}
    asyncio.run(sink(binding, encode("queue", "one")))
    asyncio.run(sink(binding, encode("queue", ["two", "three"])))
    asyncio.run(sink(binding, encode("queue", func.QueueMessage(id="x", body="four"))))
    assert [m.body for m in queues.get("work", 10)] == [b"one", b"two", b"three", b"four"]
