"""A second, minimal app: the orchestration blueprint plus its own activities, nothing else.

It proves the interpreter is reusable: any DFApp registers ``orchestration.blueprint`` and runs
definitions from its own ``WORKFLOWS_PATH`` (here ``./workflows``).
"""

import azure.durable_functions as df
import azure.functions as func
from workflow_app_activities import blueprint as activities

import orchestration

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(orchestration.blueprint)
app.register_functions(activities)
