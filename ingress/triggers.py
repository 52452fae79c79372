"""The Service Bus triggers: ``schema-changes`` (``schema_changes.accept_schema_change``), the
session-enabled ``device-events`` (``device_events.accept_device_events``) and the dead-letter
processor on each one's ``$deadletterqueue`` (``dead_letters.accept_dead_letter``). Each reads
the message and hands it over with this process's database."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from ingress import dead_letters, device_events
from ingress.schema_changes import QUEUE, ReceivedMessage, accept_schema_change
from runtime import runtime
from services.records.devices import device_settings

__all__ = ["blueprint"]

blueprint = df.Blueprint()


@blueprint.service_bus_queue_trigger(
    arg_name="msg", queue_name=QUEUE, connection="ServiceBusConnection"
)
@blueprint.durable_client_input(client_name="client")
async def schema_change_received(
    msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient
) -> None:
    """Start, ignore or quarantine; an exception (a transient failure) means redelivery."""
    current = runtime()
    await accept_schema_change(
        ReceivedMessage(msg.message_id, msg.get_body(), msg.delivery_count or 1, queue=QUEUE),
        engine=current.adapters.database,
        databases=current.adapters.sources,
        client=client,
        now=datetime.now(UTC),
    )


@blueprint.service_bus_queue_trigger(
    arg_name="msgs",
    queue_name=device_events.QUEUE,
    connection="ServiceBusConnection",
    is_sessions_enabled=True,
    cardinality=func.Cardinality.MANY,
)
@blueprint.durable_client_input(client_name="client")
async def device_events_received(
    msgs: list[func.ServiceBusMessage], client: df.DurableOrchestrationClient
) -> None:
    """One session's messages, in order: record, then route or start; an exception (a
    transient failure) means the batch is delivered again."""
    current = runtime()
    # The entity reads DEVICE_EVENTS_LIMIT when it records, and a signal's failure is heard
    # by nobody: a bad setting fails here instead, so the messages end as dead letters.
    device_settings(current.settings)
    await device_events.accept_device_events(
        [
            ReceivedMessage(
                m.message_id,
                m.get_body(),
                m.delivery_count or 1,
                queue=device_events.QUEUE,
                session_id=m.session_id,
                enqueued_at=m.enqueued_time_utc,
            )
            for m in msgs
        ],
        engine=current.adapters.database,
        client=client,
        now=datetime.now(UTC),
    )


def _dead_letter(queue: str, msg: func.ServiceBusMessage) -> None:
    dead_letters.accept_dead_letter(
        dead_letters.DeadLetterMessage(
            queue=queue,
            message_id=msg.message_id,
            body=msg.get_body(),
            sequence_number=msg.sequence_number,
            session_id=msg.session_id,
            correlation_id=msg.correlation_id,
            reason=msg.dead_letter_reason,
            description=msg.dead_letter_error_description,
            delivery_count=msg.delivery_count or 0,
            enqueued_at=msg.enqueued_time_utc,
            properties=msg.application_properties or {},
        ),
        engine=runtime().adapters.database,
        now=datetime.now(UTC),
    )


@blueprint.service_bus_queue_trigger(
    arg_name="msg",
    queue_name=f"{device_events.QUEUE}/$deadletterqueue",
    connection="ServiceBusConnection",
)
def device_event_dead_lettered(msg: func.ServiceBusMessage) -> None:
    """Record a dead-lettered device event (the dead-letter processor)."""
    _dead_letter(device_events.QUEUE, msg)


@blueprint.service_bus_queue_trigger(
    arg_name="msg", queue_name=f"{QUEUE}/$deadletterqueue", connection="ServiceBusConnection"
)
def schema_change_dead_lettered(msg: func.ServiceBusMessage) -> None:
    """Record a dead-lettered schema change (the dead-letter processor)."""
    _dead_letter(QUEUE, msg)
