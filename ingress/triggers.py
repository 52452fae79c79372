"""The Service Bus trigger on ``schema-changes``: read the message, hand it to
``schema_changes.accept_schema_change`` with this process's database and source list."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

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
