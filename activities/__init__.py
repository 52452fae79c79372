"""Activities: thin functions over ``services``, for the document-approval workflow, the
device-events workflows (``devices``) and any workflow (``generic_records``).

Each parses its input, calls a service with the process's adapters (``runtime()``) and returns
JSON for the workflow; the approval ones also record their business event in the audit trail.
Every write is keyed by what identifies the step, because activities run at least once.
"""

from . import (
    approval,
    claims,
    devices,
    drafting,
    filing,
    generic_records,
    http_request,
    master_index,
    notify,
    records,
    sync,
)
from ._blueprint import blueprint

__all__ = [
    "approval",
    "blueprint",
    "claims",
    "devices",
    "drafting",
    "filing",
    "generic_records",
    "http_request",
    "master_index",
    "notify",
    "records",
    "sync",
]
