"""``GET /api/openapi.json``: the hand-written OpenAPI 3.1 description beside this module."""

from __future__ import annotations

from pathlib import Path

import azure.functions as func

from api._blueprint import blueprint

__all__ = ["OPENAPI_FILE", "openapi_document"]

OPENAPI_FILE = Path(__file__).with_name("openapi.json")


@blueprint.route(route="openapi.json", methods=["GET"])
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        OPENAPI_FILE.read_bytes(), status_code=200, mimetype="application/json", charset="utf-8"
    )
