"""What every management route shares: registration with the durable client, the app-role
check, JSON and problem answers, bodies, links to our own routes.

A management handler is ``async def name(req, durable) -> body | HttpResponse``; it raises
``services.ServiceError`` subclasses for every refusal, which become problem documents.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import azure.durable_functions as df
import azure.functions as func

from api._blueprint import blueprint
from api.problems import json_response, problem_response
from api.roles import require_role
from management.durable_http import DurableHttp, DurableUnavailable
from management.errors import DurableUnreachable, InvalidInput, TooLarge
from services.json_input import parse_json

__all__ = [
    "MAX_BODY_BYTES",
    "api_base",
    "instance_links",
    "json_body",
    "management_route",
    "query_flag",
]

MAX_BODY_BYTES = 1_000_000
Handler = Callable[[func.HttpRequest, DurableHttp], Awaitable[Any]]


def management_route(route: str, methods: list[str], access: str) -> Callable[[Handler], Any]:
    """Register ``handler`` at ``/api/<route>`` (function key in Azure), checking the app role
    for ``access`` (``read`` or ``write``) first."""

    def decorator(handler: Handler) -> Any:
        async def endpoint(
            req: func.HttpRequest, client: df.DurableOrchestrationClient
        ) -> func.HttpResponse:
            try:
                require_role(req.headers, access)
                result = await handler(req, DurableHttp.of(client))
            except DurableUnavailable as exc:
                return problem_response(DurableUnreachable(str(exc)), _path(req.url))
            except Exception as error:  # every refusal and failure is a problem document
                return problem_response(error, _path(req.url))
            if isinstance(result, func.HttpResponse):
                return result
            return json_response(result)

        # The handler's name and docs, but the endpoint's own signature (req, client): the host
        # binds by parameter name, so no __wrapped__ may point at the handler's.
        named = functools.update_wrapper(
            endpoint,
            handler,
            assigned=("__name__", "__qualname__", "__doc__", "__module__"),
            updated=(),
        )
        del named.__wrapped__
        return blueprint.route(route=route, methods=methods)(
            blueprint.durable_client_input(client_name="client")(named)
        )

    return decorator


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def api_base(req: func.HttpRequest) -> str:
    """``<scheme>://<host>/api`` of the request: links work behind any host name."""
    parts = urlsplit(req.url)
    return f"{parts.scheme}://{parts.netloc}/api"


def instance_links(req: func.HttpRequest, instance_id: str) -> dict[str, str]:
    """Our own routes for an instance (never Durable's system-key URLs)."""
    base = f"{api_base(req)}/instances/{quote(instance_id, safe='')}"
    return {
        "status": base,
        "timeline": f"{base}/timeline",
        "events": f"{base}/events/{{name}}",
        "terminate": f"{base}/terminate",
        "suspend": f"{base}/suspend",
        "resume": f"{base}/resume",
        "restart": f"{base}/restart",
        "rewind": f"{base}/rewind",
        "purge": base,
    }


def json_body(req: func.HttpRequest, *, empty: Any = None) -> Any:
    """The body as JSON (``empty`` when there is none); 400 naming ``body`` otherwise."""
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted")
    if not raw.strip():
        return empty
    # Workflow inputs and event payloads may nest deeper than our own messages, not unbounded.
    return parse_json(raw, "body", max_depth=64)


def query_flag(req: func.HttpRequest, name: str, default: bool) -> bool:
    text = (req.params.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in ("true", "false"):
        raise InvalidInput(name, f"expected true or false, got {text[:20]!r}")
    return text == "true"
