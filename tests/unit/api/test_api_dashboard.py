"""The dashboard's page routes called directly: who may see them behind Easy Auth, and the
shell every view's URL answers with."""

from __future__ import annotations

import azure.functions as func
import pytest
from test_api_roles import principal

from api.dashboard import ASSETS, dashboard_item, dashboard_view
from api.roles import OPERATOR, READER


def get(
    handler: object, url: str, headers: dict[str, str] | None = None, **route: str
) -> func.HttpResponse:
    req = func.HttpRequest("GET", url, headers=headers or {}, route_params=route, body=b"")
    return handler(req)  # type: ignore[operator,no-any-return]


@pytest.fixture
def easy_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_EASY_AUTH", "true")


@pytest.mark.usefixtures("easy_auth")
def test_behind_easy_auth_readers_and_operators_see_it_others_are_told_why() -> None:
    url = "https://app.example.test/api/dashboard/approvals"
    for role in (READER, OPERATOR):
        page = get(
            dashboard_view, url, {"X-MS-CLIENT-PRINCIPAL": principal(role)}, view="approvals"
        )
        assert page.status_code == 200 and b"app.js" in page.get_body()
    signed_out = get(dashboard_view, url, view="approvals")
    assert signed_out.status_code == 401 and b"sign in" in signed_out.get_body()
    no_role = get(
        dashboard_view, url, {"X-MS-CLIENT-PRINCIPAL": principal("Other")}, view="approvals"
    )
    assert no_role.status_code == 403 and READER.encode() in no_role.get_body()
    assert b"app.js" not in no_role.get_body()


def test_links_follow_the_route_prefix_and_hostile_urls_stay_text() -> None:
    page = get(
        dashboard_item,
        "https://h.test/api/dashboard/instances/%3Cimg%3E",
        view="instances",
        item="<img>",
    )
    body = page.get_body().decode()
    assert page.status_code == 200
    assert 'data-api="/api"' in body and "<img>" not in body
    deep = get(
        dashboard_item, "https://h.test/api/dashboard/approvals/x", view="approvals", item="x"
    )
    assert deep.status_code == 404  # approvals has no item level


def test_only_shipped_assets_are_reachable_by_name() -> None:
    assert {"app.js", "ui.js", "graph.js", "look.css", "dashboard.css"} <= set(ASSETS)
    assert all("/" not in name and not name.startswith(".") for name in ASSETS)
