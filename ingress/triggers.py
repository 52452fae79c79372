"""The Service Bus triggers: ``schema-changes`` (``schema_changes.accept_schema_change``) and
the session-enabled ``device-events`` (``device_events.accept_device_event``). Each reads the
message and hands it over with this process's database."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from ingress import device_events
from ingress.schema_changes import QUEUE, ReceivedMessage, accept_schema_change
from runtime import runtime

__all__ = ["blueprint"]

blueprint = df.Blueprint()


@blueprint.service_bus_queue_trigger(arg_name="msg", queue_name=QUEUE,
                                     connection="ServiceBusConnection")
@blueprint.durable_client_input(client_name="client")
async def schema_change_received(msg: func.ServiceBusMessage,
                                 client: df.DurableOrchestrationClient) -> None:
    """Start, ignore or quarantine; an exception (a transient failure) means redelivery."""
    current = runtime()
    await accept_schema_change(
        ReceivedMessage(msg.message_id, msg.get_body(), msg.delivery_count or 1, queue=QUEUE),
        engine=current.adapters.database, databases=current.adapters.sources,
        client=client, now=datetime.now(UTC))


@blueprint.service_bus_queue_trigger(arg_name="msgs", queue_name=device_events.QUEUE,
                                     connection="ServiceBusConnection",
                                     is_sessions_enabled=True,
                                     cardinality=func.Cardinality.MANY)
@blueprint.durable_client_input(client_name="client")
async def device_events_received(msgs: list[func.ServiceBusMessage],
                                 client: df.DurableOrchestrationClient) -> None:
    """One session's messages, in order: record, then route or start; an exception (a
    transient failure) means the batch is delivered again."""
    await device_events.accept_device_events(
        [ReceivedMessage(m.message_id, m.get_body(), m.delivery_count or 1,
                         queue=device_events.QUEUE, session_id=m.session_id,
                         enqueued_at=m.enqueued_time_utc) for m in msgs],
        engine=runtime().adapters.database, client=client, now=datetime.now(UTC))
