"""The operations dashboard: a page and its static assets, served by the app at /api/dashboard.

The dashboard is plain JavaScript in the browser over the management API, its only backend;
these routes serve its shell (one HTML page for every view's URL, so each view can be
bookmarked), its assets from ``static/`` (and Swagger UI's from ``vendor/``, copied from npm by
``make setup``), the API reference at ``/api/docs``, and send ``/api/`` to the dashboard.

The pages hold no data, so they are anonymous, like the Functions host's own pages; every
call the page makes for data goes to a management route, behind the function key and, with
``TRUST_EASY_AUTH=true``, the app roles. Behind Easy Auth the pages themselves also need
``Workflows.Reader``, so a signed-in person without a role is told so at once.
"""

from __future__ import annotations

import mimetypes
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func

from api._blueprint import blueprint
from api.roles import require_role
from services import ServiceError

__all__ = [
    "ASSETS",
    "VIEWS",
    "api_docs",
    "api_root",
    "dashboard_asset",
    "dashboard_home",
    "dashboard_item",
    "dashboard_subitem",
    "dashboard_view",
]

HERE = Path(__file__).parent
# Every file the routes may serve, by name: nothing else on disk is reachable from a URL.
ASSETS = {
    p.name: p
    for folder in (HERE / "static", HERE / "vendor")
    if folder.is_dir()
    for p in folder.iterdir()
    if p.is_file() and not p.name.startswith(".")
}
# The first path segment of each view (``/api/dashboard/<view>/...``) and how deep it goes.
VIEWS = {
    "instances": 1,
    "workflows": 1,
    "approvals": 0,
    "documents": 1,
    "messages": 0,
    "activities": 1,
    "entities": 2,
}
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".map": "application/json",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI sets style attributes and draws icons from data: URIs.
_DOCS_POLICY = _PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _prefix(req: func.HttpRequest) -> str:
    """The path before ``/dashboard`` or ``/docs`` (``/api``), so links work under any prefix."""
    path = urlsplit(req.url).path
    found = [i for i in (path.find("/dashboard"), path.find("/docs")) if i >= 0]
    return path[: min(found)] if found else "/api"


def _html(body: str, status: int = 200, policy: str = _PAGE_POLICY) -> func.HttpResponse:
    return func.HttpResponse(
        body,
        status_code=status,
        mimetype="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-cache",
        },
    )


def _document(title: str, prefix: str, body: str, scripts: list[str], styles: list[str]) -> str:
    links = "".join(
        f'<link rel="stylesheet" href="{escape(prefix)}/dashboard/assets/{s}">' for s in styles
    )
    code = "".join(
        f'<script type="module" src="{escape(prefix)}/dashboard/assets/{s}"></script>'
        for s in scripts
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f'<link rel="icon" href="{escape(prefix)}/dashboard/assets/icon.svg">'
        f"<title>{escape(title)}</title>{links}{code}</head>"
        f'<body data-api="{escape(prefix)}">{body}</body></html>\n'
    )


def _refusal(req: func.HttpRequest) -> func.HttpResponse | None:
    """The page that says who may see the dashboard, when Easy Auth says this caller may not."""
    try:
        require_role(req.headers, "read")
    except ServiceError as error:
        body = (
            f'<main class="page"><h1>{escape(error.title)}</h1>'
            f'<p class="notice">{escape(error.detail)}</p></main>'
        )
        return _html(_document(error.title, _prefix(req), body, [], ["look.css"]), error.status)
    return None


_SHELL = (
    '<a class="skip" href="#view">Skip to content</a>'
    '<header class="top"><a class="brand" href="{p}/dashboard">Workflows</a>'
    '<nav aria-label="Sections"><ul>'
    '<li><a href="{p}/dashboard/instances">Instances</a></li>'
    '<li><a href="{p}/dashboard/approvals">Approvals</a></li>'
    '<li><a href="{p}/dashboard/messages">Messages</a></li>'
    '<li><a href="{p}/dashboard/workflows">Definitions</a></li>'
    '<li><a href="{p}/dashboard/activities">Activities</a></li>'
    '<li><a href="{p}/dashboard/entities">Entities</a></li>'
    '<li><a href="{p}/docs">API</a></li></ul></nav></header>'
    '<main id="view" tabindex="-1"><p class="muted">Loading…</p>'
    '<noscript><p class="notice">The dashboard needs JavaScript.</p></noscript></main>'
)


def _shell(req: func.HttpRequest, view: str | None = None, depth: int = 0) -> func.HttpResponse:
    refused = _refusal(req)
    if refused is not None:
        return refused
    prefix = _prefix(req)
    if view is not None and (view not in VIEWS or depth > VIEWS[view]):
        body = (
            '<main class="page"><h1>Not found</h1><p>The dashboard has no such page. '
            f'<a href="{escape(prefix)}/dashboard">Go to the instances</a>.</p></main>'
        )
        return _html(_document("Not found", prefix, body, [], ["look.css"]), 404)
    body = _SHELL.replace("{p}", escape(prefix))
    return _html(
        _document("Workflows dashboard", prefix, body, ["app.js"], ["look.css", "dashboard.css"])
    )


@blueprint.route(route="dashboard", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_home(req: func.HttpRequest) -> func.HttpResponse:
    """The dashboard (its instances view)."""
    return _shell(req)


@blueprint.route(route="dashboard/{view}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_view(req: func.HttpRequest) -> func.HttpResponse:
    """A view of the dashboard: instances, approvals, messages, workflows, activities, ..."""
    return _shell(req, req.route_params["view"].lower())


@blueprint.route(
    route="dashboard/{view}/{item}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS
)
def dashboard_item(req: func.HttpRequest) -> func.HttpResponse:
    """One thing in a view: an instance, a workflow, a document, an entity name."""
    return _shell(req, req.route_params["view"].lower(), 1)


@blueprint.route(
    route="dashboard/{view}/{item}/{key}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS
)
def dashboard_subitem(req: func.HttpRequest) -> func.HttpResponse:
    """One entity (``entities/{name}/{key}``)."""
    return _shell(req, req.route_params["view"].lower(), 2)


@blueprint.route(
    route="dashboard/assets/{file}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS
)
def dashboard_asset(req: func.HttpRequest) -> func.HttpResponse:
    """A static file of the dashboard (scripts, styles, Swagger UI)."""
    path = ASSETS.get(req.route_params["file"])
    if path is None:
        return func.HttpResponse(
            "no such asset", status_code=404, mimetype="text/plain", charset="utf-8"
        )
    media = (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return func.HttpResponse(
        path.read_bytes(),
        status_code=200,
        mimetype=media,
        charset="utf-8" if media.startswith("text/") else None,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


@blueprint.route(route="docs", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def api_docs(req: func.HttpRequest) -> func.HttpResponse:
    """Swagger UI on ``/api/openapi.json``, served from the app (no CDN)."""
    refused = _refusal(req)
    if refused is not None:
        return refused
    prefix = _prefix(req)
    if "swagger-ui-bundle.js" not in ASSETS:
        body = (
            '<main class="page"><h1>API reference</h1><p class="notice">Swagger UI is '
            "not installed here: run <code>make setup</code>. The OpenAPI document is at "
            f'<a href="{escape(prefix)}/openapi.json">{escape(prefix)}/openapi.json</a>.'
            "</p></main>"
        )
        return _html(_document("API reference", prefix, body, [], ["look.css"]), 503)
    body = (
        f'<header class="top"><a class="brand" href="{escape(prefix)}/dashboard">'
        'Workflows</a><nav aria-label="Sections"><ul><li><a href="'
        f'{escape(prefix)}/dashboard">Dashboard</a></li></ul></nav></header>'
        '<main id="swagger-ui"></main>'
        f'<script src="{escape(prefix)}/dashboard/assets/swagger-ui-bundle.js"></script>'
    )
    return _html(
        _document(
            "API reference", prefix, body, ["swagger-init.js"], ["swagger-ui.css", "look.css"]
        ),
        policy=_DOCS_POLICY,
    )


@blueprint.route(route="{*root:maxlength(0)}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def api_root(req: func.HttpRequest) -> func.HttpResponse:
    """``/api/`` leads to the dashboard instead of a bare 404 (the constraint keeps this route
    to the empty path, so every other unknown path is still the host's 404)."""
    target = req.url.split("?", 1)[0].rstrip("/") + "/dashboard"
    return func.HttpResponse(status_code=302, headers={"Location": target})
