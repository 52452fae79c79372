"""The HTTP API: approval pages, documents and their audit trails, quarantine, dead letters,
OpenAPI, and the management API (workflows, instances, entities, activities, operations).

``blueprint`` holds every route (``app.register_functions(api.blueprint)``); the modules
below add theirs to it on import. Routes and bodies are described in ``openapi.json``.
``monitor_blueprint`` holds the stuck-instance monitor's timer.
"""

from api import (
    activities,
    approvals,
    audit,
    dead_letters,
    documents,
    entities,
    instances,
    openapi,
    operations,
    quarantine,
    workflows,
)
from api._blueprint import blueprint
from api.operations import configure_telemetry, monitor_blueprint

__all__ = ["activities", "approvals", "audit", "blueprint", "configure_telemetry",
           "dead_letters", "documents", "entities", "instances", "monitor_blueprint", "openapi",
           "operations", "quarantine", "workflows"]
