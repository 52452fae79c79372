"""HTTP-triggered functions served at ``/<routePrefix>/<route>`` as the Functions host does.

Requests become ``func.HttpRequest`` objects (headers, query, route parameters, body); the
function's result (``$return`` or an ``http`` output binding) becomes the response. Durable
client bindings get the extension's client JSON. Auth levels are not enforced, like
``func start`` locally; say so in the docs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

import azure.functions as func
from aiohttp import web
from azure.functions import meta
from multidict import MultiMapping

from ..invoker import Invocation, converter
from ..loader import FunctionInfo
from .problems import method_not_allowed, problem
from .routes import RouteTemplate

__all__ = ["HttpRoute", "HttpTriggers", "Invoke"]

log = logging.getLogger("devhost.http")


class Invoke(Protocol):
    """``Host.invoke``: how HTTP triggers call their function."""

    def __call__(
        self,
        fn: FunctionInfo,
        trigger: Any = None,
        trigger_metadata: Any = None,
        inputs: dict[str, Any] | None = None,
    ) -> Awaitable[Invocation]: ...


_ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class HttpRoute:
    fn: FunctionInfo
    template: RouteTemplate
    methods: tuple[str, ...]


class HttpTriggers:
    def __init__(self, functions: list[FunctionInfo], invoke: Invoke, route_prefix: str) -> None:
        self.invoke = invoke
        self.prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
        self.routes: list[HttpRoute] = []
        for fn in functions:
            if fn.trigger_type != "httpTrigger":
                continue
            methods = tuple(str(m).upper() for m in (fn.trigger.get("methods") or _ALL_METHODS))
            template = RouteTemplate.parse(str(fn.trigger.get("route") or fn.name))
            self.routes.append(HttpRoute(fn, template, methods))
        self.routes.sort(key=lambda r: r.template.precedence)

    def url_of(self, route: HttpRoute, base_url: str) -> str:
        return f"{base_url}{self.prefix}/{route.template.template.strip('/')}"

    def web_routes(self) -> list[web.RouteDef]:
        if not self.routes:
            return []
        path = f"{self.prefix}/{{tail:.*}}" if self.prefix else "/{tail:.*}"
        routes = [web.route("*", path, self.handle)]
        if self.prefix and any(
            r.template.match("") is not None and "GET" in r.methods for r in self.routes
        ):
            # Where the Functions host shows its home page, an app with a route of its own
            # at the prefix's root (``/api/``) gets the visitor there instead.
            routes.append(web.get("/", self._home))
        return routes

    async def _home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{self.prefix}/")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        allowed: set[str] = set()
        for route in self.routes:
            params = route.template.match(tail)
            if params is None:
                continue
            if request.method not in route.methods:
                allowed.update(route.methods)
                continue
            return await self._call(route, request, params)
        if allowed:
            return method_not_allowed(request.method, allowed)
        return problem(404, f"No HTTP function matches {request.path}")

    async def _call(
        self, route: HttpRoute, request: web.Request, params: dict[str, Any]
    ) -> web.StreamResponse:
        fn = route.fn
        body = await request.read()
        req = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=_joined(request.headers),
            params={k: v for k, v in _joined(request.query).items() if v},
            route_params={k: str(v) for k, v in params.items()},
            body=body,
        )
        try:
            invocation = await self.invoke(fn, inputs={str(fn.trigger["name"]): req})
        except Exception as exc:
            log.exception("function %s failed", fn.name)
            return problem(500, f"Function '{fn.name}' failed: {type(exc).__name__}: {exc}")
        datum = invocation.returned
        if datum is None:
            for name, values in invocation.outputs.items():
                binding = fn.binding(name) or {}
                if binding.get("type") == "http" and values:
                    datum = values[0]
        if datum is None and invocation.value is not None:
            conv = converter("http")
            try:
                datum = conv.encode(invocation.value, expected_type=None)
            except NotImplementedError:
                return problem(
                    500,
                    f"Function '{fn.name}' returned a"
                    f" {type(invocation.value).__name__}; an HTTP function must"
                    " return func.HttpResponse or str",
                )
        return _to_response(datum)


def _joined(values: MultiMapping[str]) -> dict[str, str]:
    """Repeated names become one comma-joined value, as the Functions host passes them to the
    worker (it also drops empty query values, which the caller does)."""
    return {key: ",".join(values.getall(key)) for key in dict.fromkeys(values.keys())}


def _to_response(datum: meta.Datum | None) -> web.StreamResponse:
    if datum is None:
        return web.Response(status=204)
    if datum.type == "string":
        return web.Response(status=200, text=str(datum.value), content_type="text/plain")
    value = datum.value
    headers = {name: str(h.value) for name, h in value["headers"].items()}
    response = web.Response(status=int(value["status_code"].value), body=value["body"].value)
    for name, header in headers.items():
        response.headers[name] = header
    for cookie in value.get("cookies") or []:
        for morsel in cookie.values():
            response.headers.add("Set-Cookie", morsel.OutputString())
    return response
