"""RFC 9457 problem responses for everything devhost itself answers with an error.

``problem_middleware`` makes that true for every path: a URL no route matches, a method a
route does not take (405 with ``Allow``), a body over the size limit, a query parameter out of
its range (``params.BadParameter``: 400 naming it) and a handler that fails unexpectedly all
answer ``application/problem+json``, never aiohttp's plain-text pages, which
the Durable SDK's client cannot parse.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .params import BadParameter

__all__ = ["method_not_allowed", "problem", "problem_middleware"]

log = logging.getLogger("devhost.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.Response(
        status=status,
        text=json.dumps(body),
        headers=headers,
        content_type="application/problem+json",
    )


def method_not_allowed(method: str, allowed: Iterable[str]) -> web.Response:
    """405 with the ``Allow`` header RFC 9110 requires (and the methods in the body too)."""
    methods = sorted(set(allowed))
    return problem(
        405,
        f"{method} is not allowed here; use one of {', '.join(methods)}",
        headers={"Allow": ", ".join(methods)},
        allow=methods,
    )


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadParameter as error:
        return problem(400, str(error), field=error.field)
    except web.HTTPMethodNotAllowed as error:
        return method_not_allowed(request.method, error.allowed_methods)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        detail = (
            f"No route matches {request.method} {request.path}"
            if error.status == 404
            else error.text or error.reason
        )
        return problem(error.status, detail)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as error:
        log.exception("devhost failed on %s %s", request.method, request.path)
        return problem(
            500,
            f"devhost failed on {request.method} {request.path}: {type(error).__name__}: {error}",
        )
