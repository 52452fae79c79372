"""Triggers on dead-letter queues, for devhost tests: a queue, a session queue and a topic
subscription whose handlers always fail, and a trigger on each one's ``$deadletterqueue``.

Every call appends one JSON line to the file named by the app setting ``DEADLETTER_LEDGER``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_lock = threading.Lock()


def record(kind: str, msg: func.ServiceBusMessage) -> None:
    with _lock, Path(os.environ["DEADLETTER_LEDGER"]).open("a", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {
                    "kind": kind,
                    "messageId": msg.message_id,
                    "sessionId": msg.session_id,
                    "body": msg.get_body().decode("utf-8"),
                    "deliveryCount": msg.delivery_count,
                    "reason": msg.dead_letter_reason,
                    "description": msg.dead_letter_error_description,
                }
            )
            + "\n"
        )


def fail(kind: str, msg: func.ServiceBusMessage) -> Any:
    record(kind, msg)
    raise RuntimeError(f"{kind} cannot handle {msg.message_id}")


@app.service_bus_queue_trigger(arg_name="msg", queue_name="work", connection="Bus")
def work(msg: func.ServiceBusMessage) -> None:
    fail("work", msg)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="work/$deadletterqueue", connection="Bus")
def work_dead(msg: func.ServiceBusMessage) -> None:
    record("work-dead", msg)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="sessions", connection="Bus", is_sessions_enabled=True
)
def sessions(msg: func.ServiceBusMessage) -> None:
    fail("sessions", msg)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="sessions/$DeadLetterQueue", connection="Bus"
)
def sessions_dead(msg: func.ServiceBusMessage) -> None:
    record("sessions-dead", msg)


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="news", subscription_name="reader", connection="Bus"
)
def reader(msg: func.ServiceBusMessage) -> None:
    fail("reader", msg)


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="news", subscription_name="reader/$deadletterqueue", connection="Bus"
)
def reader_dead(msg: func.ServiceBusMessage) -> None:
    record("reader-dead", msg)
