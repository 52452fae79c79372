"""Quarantined messages: what ingress refused, why, and the body as it arrived."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from api._blueprint import blueprint
from api.problems import answer_json, query_int
from runtime import runtime
from services import get_quarantined, list_quarantined
from wire import to_json

__all__ = ["quarantined_message", "quarantined_messages"]


def _listing(req: func.HttpRequest) -> Any:
    page = list_quarantined(
        runtime().adapters.database,
        reason=req.params.get("reason") or None,
        limit=query_int(req, "limit", 50, 1, 500),
        offset=query_int(req, "offset", 0, 0, 10**9),
    )
    return to_json(page)


@blueprint.route(route="quarantine", methods=["GET"])
def quarantined_messages(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first, without bodies; ``?reason=&limit=&offset=``."""
    return answer_json(req, lambda: _listing(req))


@blueprint.route(route="quarantine/{messageId}", methods=["GET"])
def quarantined_message(req: func.HttpRequest) -> func.HttpResponse:
    """One message with its body; 404 if it was never quarantined."""
    return answer_json(
        req,
        lambda: to_json(
            get_quarantined(runtime().adapters.database, req.route_params["messageId"])
        ),
    )
