"""The HTTP API: approval pages, documents and their audit trails, quarantine, dead letters,
OpenAPI.

``blueprint`` holds every route (``app.register_functions(api.blueprint)``); the modules
below add theirs to it on import. Routes and bodies are described in ``openapi.json``.
"""

from api import approvals, audit, dead_letters, documents, openapi, quarantine
from api._blueprint import blueprint

__all__ = ["approvals", "audit", "blueprint", "dead_letters", "documents", "openapi",
           "quarantine"]
