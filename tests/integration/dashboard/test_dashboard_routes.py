"""The dashboard's HTTP side on devhost: its pages and assets, and the management routes it
added (approvals, instance counts, the filed document), with every failure a problem."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from dashboard_support import submit
from support.app_host import ProductHost, product_host


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductHost]:
    with product_host(tmp_path_factory.mktemp("dashboard-routes")) as running:
        yield running


def header(answer: object, name: str) -> str:
    headers = getattr(answer, "headers", {})
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def problem(app: ProductHost, path: str, status: int) -> dict[str, object]:
    answer = app.host.http("GET", path)
    assert answer.status == status, answer.text
    assert header(answer, "Content-Type").startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status
    return dict(body)


def test_every_view_url_serves_the_page_under_a_strict_policy(app: ProductHost) -> None:
    for path in (
        "/api/dashboard",
        "/api/dashboard/instances",
        "/api/dashboard/approvals",
        "/api/dashboard/messages",
        "/api/dashboard/workflows/document-approval",
        "/api/dashboard/instances/some-id",
        "/api/dashboard/entities/device/k1",
    ):
        answer = app.host.http("GET", path)
        assert answer.status == 200, (path, answer.text)
        policy = header(answer, "Content-Security-Policy")
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert 'src="/api/dashboard/assets/app.js"' in answer.text


def test_unknown_views_and_assets_are_404_and_no_file_outside_the_assets_is_served(
    app: ProductHost,
) -> None:
    assert app.host.http("GET", "/api/dashboard/nothing").status == 404
    assert app.host.http("GET", "/api/dashboard/approvals/extra").status == 404
    for name in (
        "nothing.js",
        "..%2F__init__.py",
        "%2E%2E%2F%2E%2E%2Fsettings.py",
        "__init__.py",
        ".installed",
    ):
        answer = app.host.http("GET", f"/api/dashboard/assets/{name}")
        assert answer.status == 404, name
    script = app.host.http("GET", "/api/dashboard/assets/app.js")
    assert script.status == 200
    assert header(script, "Content-Type").startswith("text/javascript")
    assert header(script, "X-Content-Type-Options") == "nosniff"


def test_pending_approvals_list_nearest_deadline_first_and_bad_paging_is_a_problem(
    app: ProductHost,
) -> None:
    first = submit(app)
    app.host.advance(seconds=60)  # the virtual clock stands still between them otherwise
    second = submit(app)
    page = app.host.http("GET", "/api/approvals", params={"limit": "500"}).json()
    ids = [item["documentId"] for item in page["items"]]
    assert ids.index(first) < ids.index(second)  # opened first, due first
    item = page["items"][ids.index(first)]
    assert item["pendingRoles"] == ["Data Steward"] and item["overdue"] is False
    assert 0 < item["secondsLeft"] <= 48 * 3600
    assert item["requestedBy"] == "rita.requester@example.com"
    assert "token" not in json.dumps(item)  # who still decides, never the credential
    assert item["links"]["instance"].endswith(f"/api/instances/{first}")
    for query, field in (
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "many"}, "limit"),
    ):
        answer = app.host.http("GET", "/api/approvals", params=query)
        assert answer.status == 400 and field in answer.json()["detail"], answer.text


def test_instance_counts_follow_the_listing_filters(app: ProductHost) -> None:
    instance_id = submit(app)
    counts = app.host.http(
        "GET", "/api/operations/instance-counts", params={"instanceIdPrefix": instance_id}
    ).json()
    assert counts["counts"]["Running"] == 1 and counts["total"] == 1
    assert counts["complete"] is True
    assert set(counts["counts"]) >= {"Pending", "Running", "Completed", "Failed"}
    answer = app.host.http("GET", "/api/operations/instance-counts", params={"status": "Sleeping"})
    assert answer.status == 400 and "status" in answer.json()["detail"]


def test_the_filed_document_is_the_approved_version_and_its_failures_are_problems(
    app: ProductHost,
) -> None:
    document_id = submit(app)
    problem(app, f"/api/documents/{document_id}/file", 404)  # not filed yet
    request_id = app.rows(
        "SELECT request_id FROM approval_requests WHERE document_id = :d", d=document_id
    )[0]["request_id"]
    app.host.raise_event(document_id, "approval", {"requestId": request_id, "decision": "approve"})
    app.host.wait_idle()
    assert app.host.status(document_id)["runtimeStatus"] == "Completed"  # type: ignore[index]

    with urllib.request.urlopen(f"{app.host.base_url}/api/documents/{document_id}/file") as got:
        assert got.status == 200 and got.read(2) == b"PK"
        assert "attachment" in got.headers["Content-Disposition"]
    with urllib.request.urlopen(
        f"{app.host.base_url}/api/documents/{document_id}/file?revision=1"
    ) as got:
        assert got.status == 200
    assert "revision 2" in str(
        problem(app, f"/api/documents/{document_id}/file?revision=2", 404)["detail"]
    )
    assert "revision" in str(
        problem(app, f"/api/documents/{document_id}/file?revision=x", 400)["detail"]
    )
    problem(app, f"/api/documents/{uuid.uuid4()}/file", 404)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app.host.base_url}/api/documents/not-a-uuid/file")
    assert refused.value.code in (400, 404)
