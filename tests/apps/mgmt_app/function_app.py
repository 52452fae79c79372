"""The management API on devhost: the real orchestration, activities, API and monitor
blueprints, plus ``mgmt_app_extras`` (a ``counter`` entity, and an orchestrator that sits with
a deadline in its custom status, as an instance whose timer never fired would)."""

import azure.durable_functions as df
import azure.functions as func
from mgmt_app_extras import blueprint as extras

import activities
import api
import ingress
import orchestration

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(orchestration.blueprint)
app.register_functions(activities.blueprint)
app.register_functions(api.blueprint)
app.register_functions(api.monitor_blueprint)
app.register_functions(ingress.blueprint)
app.register_functions(extras)
api.configure_telemetry()
