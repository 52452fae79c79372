"""The API and ingress blueprints on devhost, with a small vote-counting workflow of its own.

``api.blueprint`` and ``ingress.blueprint`` are the real ones. Instead of the whole
document-approval definition, ``api_app_workflow`` registers an orchestrator under the same
name ingress starts (``workflow``) that does the part the API talks to: it waits for
``approval`` events and counts each with the real ``record_vote`` service. Tests create
approvals with the services directly.
"""

import azure.durable_functions as df
import azure.functions as func
from api_app_workflow import blueprint as vote_counting

import api
import ingress

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(api.blueprint)
app.register_functions(ingress.blueprint)
app.register_functions(vote_counting)
