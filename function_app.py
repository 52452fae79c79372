"""Composition root: the Durable Functions app and its blueprints.

What the functions share is wired in ``runtime.py``: on first use in each worker process it
reads ``settings.py`` and builds the adapters (``adapters.build_adapters``: blob store, mail,
library, source databases, the app database), the signing keys and the policy. Everything
below it takes those as arguments (docs/architecture.md).
"""

import azure.durable_functions as df
import azure.functions as func

import activities
import api
import entities
import ingress
import orchestration

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(orchestration.blueprint)  # the `workflow` interpreter + definition loader
app.register_functions(activities.blueprint)
app.register_functions(entities.blueprint)  # the device entity (key = device id)
app.register_functions(ingress.blueprint)  # schema-changes (Service Bus) -> workflow
app.register_functions(ingress.scheduled_blueprint)  # schedules timer, output-queue -> workflow
app.register_functions(api.blueprint)  # approval pages, documents, audit, management, OpenAPI
app.register_functions(api.monitor_blueprint)  # the stuck-instance monitor (timer)
api.configure_telemetry()  # metrics at /api/operations/metrics; Application Insights if set
