"""Activities of the document-approval workflow: thin functions over ``services``.

Each parses its input, calls a service with the process's adapters (``runtime()``), records
its business event in the audit trail and returns JSON for the workflow. Every write is keyed
by the document id and the step, because activities run at least once.
"""

from . import (
    approval,
    claims,
    drafting,
    filing,
    http_request,
    master_index,
    notify,
    records,
    sync,
)
from ._blueprint import blueprint

__all__ = ["approval", "blueprint", "claims", "drafting", "filing", "http_request",
           "master_index", "notify", "records", "sync"]
