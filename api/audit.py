"""The audit trail of a document with the result of verifying its hash chain."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from api._blueprint import blueprint
from api.problems import answer_json
from runtime import runtime
from services import audit_trail, document_record
from services.ids import canonical_document_id
from wire import to_json

__all__ = ["document_events"]


def _trail(document_id: str) -> dict[str, Any]:
    engine = runtime().adapters.database
    trail = audit_trail(engine, document_id)
    if not trail.events:
        document_record(engine, document_id)  # NotFound (404) for a document we never saw
    return to_json(trail)


@blueprint.route(route="documents/{documentId}/events", methods=["GET"])
def document_events(req: func.HttpRequest) -> func.HttpResponse:
    """``{"streamId", "events": [...], "verification": {"ok", "length", "head", ...}}``."""
    return answer_json(req, lambda: _trail(canonical_document_id(req.route_params["documentId"])))
