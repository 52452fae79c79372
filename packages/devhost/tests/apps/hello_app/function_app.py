"""A tiny Durable app as someone else would write it (Microsoft's function-chaining quickstart):
the installed-package test copies it out of this repository and runs it there."""

import azure.durable_functions as df
import azure.functions as func
from greetings import greeting

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    instance_id = await client.start_new(req.route_params["functionName"])
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext):
    greetings = []
    for city in ("Tokyo", "Seattle", "London"):
        greetings.append((yield context.call_activity("hello", city)))
    return greetings


@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return greeting(city)
