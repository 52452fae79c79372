"""The two Service Bus triggers bench/bench_servicebus.py measures, and nothing else."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="bench-noop", connection="ServiceBusConnection"
)
def noop(msg: func.ServiceBusMessage) -> None:
    """Does nothing: the benchmark measures the broker and the invocation path."""


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="bench-orchestrate", connection="ServiceBusConnection"
)
@app.durable_client_input(client_name="client")
async def start_per_message(
    msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient
) -> None:
    await client.start_new("echo", msg.message_id, msg.get_body().decode())


@app.orchestration_trigger(context_name="context")
def echo(context: df.DurableOrchestrationContext) -> Any:
    return context.get_input()
