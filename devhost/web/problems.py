"""RFC 9457 problem responses for everything devhost itself answers with an error."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["problem"]

_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    500: "Internal Server Error",
}


def problem(status: int, detail: str, **extra: Any) -> web.Response:
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/problem+json"
    )
