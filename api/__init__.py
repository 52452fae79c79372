"""The HTTP API: approval pages, documents and their audit trails, quarantine, dead letters,
OpenAPI, the management API (workflows, instances, entities, activities, operations,
approvals) and the dashboard that draws it (``api/dashboard``).

``blueprint`` holds every route (``app.register_functions(api.blueprint)``); the modules
below add theirs to it on import. Routes and bodies are described in ``openapi.json``.
``monitor_blueprint`` holds the stuck-instance monitor's timer.
"""

from api import (
    activities,
    approval_list,
    approvals,
    audit,
    dashboard,
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

__all__ = [
    "activities",
    "approval_list",
    "approvals",
    "audit",
    "blueprint",
    "configure_telemetry",
    "dashboard",
    "dead_letters",
    "documents",
    "entities",
    "instances",
    "monitor_blueprint",
    "openapi",
    "operations",
    "quarantine",
    "workflows",
]
