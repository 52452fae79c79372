"""Trigger data decoded by azure-functions' own converters, as the Python worker does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import azure.functions as func
from azure.functions import meta

from devhost.messaging.datum import (
    queue_trigger,
    servicebus_batch,
    servicebus_single,
    timer_trigger,
)
from devhost.messaging.servicebus import ReceivedMessage
from devhost.messaging.storage_queues import QueueMessage

T = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


def message(n: int, body: bytes = b'{"id": 1}') -> ReceivedMessage:
    return ReceivedMessage(
        sequence_number=n,
        entity="q",
        message_id=f"m{n}",
        session_id="dev-1",
        body=body,
        properties={
            "correlation_id": f"c{n}",
            "content_type": "application/json",
            "subject": "hello",
            "application_properties": {"n": n, "kind": "x"},
            "time_to_live": 3600.0,
        },
        enqueued_at=T,
        scheduled_at=None,
        expires_at=T + timedelta(hours=1),
        delivery_count=n,
        lock_token=f"lock{n}",
        locked_until=T + timedelta(minutes=1),
    )


def decode(binding: str, data: meta.Datum, metadata: dict[str, meta.Datum]) -> object:
    converter = meta._ConverterMeta.get(binding)
    return converter.decode(data, trigger_metadata=metadata)


def test_single_message_has_the_worker_metadata() -> None:
    got = decode("serviceBusTrigger", *servicebus_single(message(2)))
    assert isinstance(got, func.ServiceBusMessage)
    assert got.get_body() == b'{"id": 1}'
    assert (got.message_id, got.session_id, got.correlation_id, got.content_type) == (
        "m2",
        "dev-1",
        "c2",
        "application/json",
    )
    assert got.delivery_count == 2
    assert got.sequence_number == 2
    assert got.enqueued_time_utc == T
    assert got.locked_until == T + timedelta(minutes=1)
    assert got.lock_token == "lock2"
    assert got.application_properties == {"n": 2, "kind": "x"}
    assert got.user_properties == {"n": 2, "kind": "x"}
    assert got.subject == "hello"
    assert got.time_to_live == timedelta(hours=1)


def test_binary_bodies_survive() -> None:
    got = decode("serviceBusTrigger", *servicebus_single(message(1, b"\xff\x00")))
    assert isinstance(got, func.ServiceBusMessage)
    assert got.get_body() == b"\xff\x00"


def test_batch_gives_a_list_with_per_message_metadata() -> None:
    got = decode("serviceBusTrigger", *servicebus_batch([message(1), message(2, b"plain")]))
    assert isinstance(got, list)
    assert [m.get_body() for m in got] == [b'{"id": 1}', b"plain"]
    assert [m.message_id for m in got] == ["m1", "m2"]
    assert [m.delivery_count for m in got] == [1, 2]
    assert [m.application_properties for m in got] == [{"n": 1, "kind": "x"}, {"n": 2, "kind": "x"}]
    assert got[1].enqueued_time_utc == T


def test_queue_message_metadata() -> None:
    stored = QueueMessage(
        "id-1", "work", b"hello", T, T + timedelta(days=7), T + timedelta(minutes=10), 3, "pop"
    )
    got = decode("queueTrigger", *queue_trigger(stored))
    assert isinstance(got, func.QueueMessage)
    assert (got.id, got.get_body(), got.dequeue_count, got.pop_receipt) == (
        "id-1",
        b"hello",
        3,
        "pop",
    )
    assert got.insertion_time == T
    assert got.time_next_visible == T + timedelta(minutes=10)


def test_timer_request() -> None:
    data = timer_trigger(
        past_due=True,
        last=T,
        occurrence=T + timedelta(seconds=15),
        updated=T + timedelta(seconds=15),
    )
    got = decode("timerTrigger", data, {})
    assert isinstance(got, func.TimerRequest)
    assert got.past_due is True
    assert got.schedule_status["Next"] == "2026-03-01T12:00:15.250000Z"
    assert json.loads(data.value)["Schedule"] == {"AdjustForDST": True}
