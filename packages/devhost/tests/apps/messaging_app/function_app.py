"""Service Bus, storage-queue and timer functions that record what they see, for devhost tests.

Every function appends one JSON line per call to the file named by the app setting
``MESSAGING_LEDGER`` (when set), so a test can check deliveries, order and concurrency from the
outside. Queue names are fixed; ``servicebus.config.json`` beside this file declares some of
them and the others are created with Service Bus defaults.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_lock = threading.Lock()
_active_sessions: set[str] = set()


def record(kind: str, **fields: Any) -> None:
    ledger = os.environ.get("MESSAGING_LEDGER")
    if ledger:
        with _lock, Path(ledger).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, **fields}) + "\n")


def describe(msg: func.ServiceBusMessage) -> dict[str, Any]:
    return {
        "messageId": msg.message_id,
        "sessionId": msg.session_id,
        "deliveryCount": msg.delivery_count,
        "body": msg.get_body().decode("utf-8"),
        "correlationId": msg.correlation_id,
        "contentType": msg.content_type,
        "properties": msg.application_properties,
        "enqueued": msg.enqueued_time_utc.isoformat() if msg.enqueued_time_utc else None,
    }


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="fragile", connection="ServiceBusConnection"
)
def always_fails(msg: func.ServiceBusMessage) -> None:
    record("fragile", **describe(msg))
    if msg.get_body() != b"fine":
        raise RuntimeError(f"cannot handle {msg.message_id}")


@app.service_bus_queue_trigger(
    arg_name="msg",
    queue_name="device-events",
    connection="ServiceBusConnection",
    is_sessions_enabled=True,
)
def ordered(msg: func.ServiceBusMessage) -> None:
    session = str(msg.session_id)
    with _lock:
        overlap = session in _active_sessions
        _active_sessions.add(session)
        concurrent = len(_active_sessions)
    try:
        time.sleep(0.002)  # long enough for other sessions' handlers to overlap this one
        record("session", overlap=overlap, concurrent=concurrent, **describe(msg))
    finally:
        with _lock:
            _active_sessions.discard(session)


@app.service_bus_queue_trigger(
    arg_name="msgs", queue_name="bulk", connection="ServiceBusConnection", cardinality="many"
)
def batch(msgs: list[func.ServiceBusMessage]) -> None:
    record("batch", size=len(msgs), bodies=[m.get_body().decode() for m in msgs])


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="relay-in", connection="ServiceBusConnection"
)
@app.service_bus_queue_output(
    arg_name="out", queue_name="relay-out", connection="ServiceBusConnection"
)
@app.queue_output(arg_name="work", queue_name="relay-work", connection="AzureWebJobsStorage")
def relay(msg: func.ServiceBusMessage, out: func.Out[list[str]], work: func.Out[str]) -> None:
    text = msg.get_body().decode()
    out.set([f"{text}-1", f"{text}-2"])
    work.set(text)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="relay-out", connection="ServiceBusConnection"
)
def relayed(msg: func.ServiceBusMessage) -> None:
    record("relayed", **describe(msg))


@app.service_bus_topic_trigger(
    arg_name="msg",
    topic_name="alerts",
    subscription_name="critical",
    connection="ServiceBusConnection",
)
def critical_alerts(msg: func.ServiceBusMessage) -> None:
    record("critical", **describe(msg))


@app.queue_trigger(arg_name="msg", queue_name="relay-work", connection="AzureWebJobsStorage")
def storage_work(msg: func.QueueMessage) -> None:
    record("storage", id=msg.id, body=msg.get_body().decode(), dequeueCount=msg.dequeue_count)
    if msg.get_body().startswith(b"poison"):
        raise RuntimeError("poison message")


@app.timer_trigger(arg_name="timer", schedule="00:00:20")
def every_twenty_seconds(timer: func.TimerRequest) -> None:
    record("timer", pastDue=timer.past_due, status=timer.schedule_status)


@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *")
def every_five_minutes(timer: func.TimerRequest) -> None:
    """Monitored (a minute or longer), so a tick missed while the host was down runs late."""
    record("monitored", pastDue=timer.past_due, status=timer.schedule_status)


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def at_startup(timer: func.TimerRequest) -> None:
    """Yearly, and once whenever the host starts (``run_on_startup``)."""
    record("startup", pastDue=timer.past_due)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="long-lock", connection="ServiceBusConnection"
)
def outlives_its_lock(msg: func.ServiceBusMessage) -> None:
    """Runs for the number of seconds in the body, longer than the queue's 1 s lock."""
    record("long-start", deliveryCount=msg.delivery_count)
    time.sleep(float(msg.get_body()))
    record("long-done", deliveryCount=msg.delivery_count)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="crash-test", connection="ServiceBusConnection"
)
def slow(msg: func.ServiceBusMessage) -> None:
    """Takes ``SLOW_SECONDS`` per message, so a kill -9 finds messages in flight."""
    record("slow-start", messageId=msg.message_id, deliveryCount=msg.delivery_count)
    time.sleep(float(os.environ.get("SLOW_SECONDS", "0")))
    record("slow-done", messageId=msg.message_id, deliveryCount=msg.delivery_count)
