"""Approval links: the confirmation page, the decision, and the draft the page links to.

Anonymous routes: approvers arrive from mail, and the signed token in the path is the
credential (with ``TRUST_EASY_AUTH=true`` the signed-in principal must also be its approver).
``GET`` only reads. ``POST`` records the decision and, the first time only, raises the
``approval`` event on the workflow; a repeat of the same decision answers 200 again.
Browsers (``Accept: text/html``) get HTML pages, other clients JSON and problem documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api._blueprint import blueprint
from api.approval_pages import closed_page, confirmation_page, decision_page, error_page
from api.decisions import parse_decision_body
from api.drafts import draft_exists, draft_response
from api.identity import caller
from api.problems import json_response, problem_for, problem_response
from api.workflow_events import raise_approval
from runtime import Runtime, runtime
from services import (
    DocumentRecord,
    NotFound,
    TokenView,
    document_record,
    inspect_token,
    redeem_token,
)
from wire import to_json

__all__ = ["approval_decision", "approval_draft", "approval_page"]

ROUTE = "approvals/{token}"
# The token is a credential: problem documents and logs name the route, not the link.
INSTANCE = "/api/approvals/{token}"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never send it on
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}
_CLOSED_STATES = ("expired", "ended")


def html_response(body: str, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        body, status_code=status, mimetype="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


def _error_page(error: Exception) -> func.HttpResponse:
    problem = problem_for(error, INSTANCE)
    return html_response(error_page(problem), problem["status"])


def _inspect(current: Runtime, req: func.HttpRequest) -> TokenView:
    return inspect_token(
        current.adapters.database,
        current.keys,
        req.route_params["token"],
        now=datetime.now(UTC),
        principal=caller(req.headers, current.settings.flag("TRUST_EASY_AUTH")),
    )


@blueprint.route(route=ROUTE, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def approval_page(req: func.HttpRequest) -> func.HttpResponse:
    """The confirmation page: 200 while open or decided, 410 when closed (saying which
    document and how it ended), 400/403 errors."""
    try:
        current = runtime()
        view = _inspect(current, req)
        if view.state in _CLOSED_STATES:
            return html_response(closed_page(view), 410)
        has_draft = draft_exists(
            current.adapters.blobs, view.request.document_id, view.request.revision
        )
    except Exception as error:  # every failure is a readable page
        return _error_page(error)
    # Relative to this page's URL, so the link works behind any host name and prefix.
    draft_href = f"{req.route_params['token']}/draft" if has_draft else None
    return html_response(confirmation_page(view, draft_href=draft_href, now=datetime.now(UTC)))


@blueprint.route(route=ROUTE, methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@blueprint.durable_client_input(client_name="client")
async def approval_decision(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Record the decision: 200 (also for a repeat), 400, 403, 409 or 410."""
    wants_html = "text/html" in (req.headers.get("accept") or "")
    try:
        current = runtime()
        decision = parse_decision_body(req.headers.get("content-type"), req.get_body())
        redemption = redeem_token(
            current.adapters.database,
            current.keys,
            req.route_params["token"],
            decision=decision.decision,
            comment=decision.comment,
            now=datetime.now(UTC),
            principal=caller(req.headers, current.settings.flag("TRUST_EASY_AUTH")),
        )
        result: dict[str, Any] = to_json(redemption)
        # A repeat must not reach the workflow twice: only a first decision raises the event.
        result["eventRaised"] = not redemption.replayed and await raise_approval(
            client, redemption.instance_id, result["vote"]
        )
    except Exception as error:  # every failure is a problem (or its page)
        return _error_page(error) if wants_html else problem_response(error, INSTANCE)
    if not wants_html:
        return json_response(result)
    try:  # the heading names the object; a missing record only makes it vaguer
        document: DocumentRecord | None = document_record(
            current.adapters.database, redemption.vote.document_id
        )
    except NotFound:
        document = None
    return html_response(decision_page(redemption, document))


@blueprint.route(route=ROUTE + "/draft", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def approval_draft(req: func.HttpRequest) -> func.HttpResponse:
    """The draft of the token's document, for the page's link (reading it changes nothing)."""
    try:
        current = runtime()
        view = _inspect(current, req)
        return draft_response(
            current.adapters.blobs,
            view.request.document_id,
            view.request.revision,
            None if view.document is None else view.document.physical_name,
        )
    except Exception as error:  # every failure is a readable page
        return _error_page(error)
