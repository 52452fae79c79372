"""The management routes on devhost: document status, draft, audit trail, quarantine, OpenAPI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from api_support import ApiApp, header

from api.openapi import OPENAPI_FILE
from services import append_next, derive_id, update_document, update_master_index


def test_a_document_shows_who_is_awaited_votes_links_and_its_index_entry(app: ApiApp) -> None:
    document_id, tokens = app.case()
    app.put_draft(document_id)
    update_document(
        app.engine,
        document_id,
        {"status": "awaiting-approval", "draftUrl": "http://blob/documents/x"},
        datetime.now(UTC),
    )
    assert app.decide(tokens["DBA"]).status == 200
    update_master_index(
        app.engine,
        document_id=document_id,
        database_name="warehouse",
        physical_name="sales.orders",
        entry={"libraryUrl": "lib://x"},
        now=datetime.now(UTC),
    )

    answer = app.host.http("GET", f"/api/documents/{document_id}")

    assert answer.status == 200, answer.text
    view = answer.json()
    assert view["status"] == "awaiting-approval"
    assert view["approval"]["pendingRoles"] == ["Data Steward"]
    assert [w["role"] for w in view["waitingFor"]] == ["Data Steward"]
    assert view["waitingFor"][0]["approvers"][0]["email"] == "dana.steward@example.com"
    assert view["waitingFor"][0]["deadline"] == view["approval"]["deadline"]
    assert [v["roles"] for v in view["votes"]] == [["DBA"]]
    base = f"http://approvals.example.test/api/documents/{document_id}"
    assert view["links"]["self"] == base
    assert view["links"]["events"] == f"{base}/events"
    assert view["links"]["draftDownload"] == f"{base}/draft"
    assert view["masterIndex"]["current"]["documentId"] == document_id
    assert view["masterIndex"]["current"]["entry"] == {"libraryUrl": "lib://x"}

    draft = app.host.http("GET", f"/api/documents/{document_id}/draft")
    assert draft.status == 200
    assert header(draft, "Content-Disposition") == (
        'attachment; filename="sales.orders-draft.docx"'
    )


def test_unknown_documents_are_404_problems(app: ApiApp) -> None:
    unknown = str(uuid.uuid4())
    for path in (
        f"/api/documents/{unknown}",
        f"/api/documents/{unknown}/events",
        f"/api/documents/{unknown}/draft",
    ):
        answer = app.host.http("GET", path)
        assert answer.status == 404, path
        assert header(answer, "Content-Type").startswith("application/problem+json")
        assert answer.json()["type"] == "urn:problem:NotFound"
        assert answer.json()["instance"] == path


def test_a_document_without_a_draft_is_404_for_the_draft(app: ApiApp) -> None:
    document_id, _ = app.case(with_workflow=False)

    answer = app.host.http("GET", f"/api/documents/{document_id}/draft")

    assert answer.status == 404
    assert "no draft" in answer.json()["detail"]


def test_the_audit_trail_lists_events_in_order_and_verifies_the_chain(app: ApiApp) -> None:
    document_id, _ = app.case(with_workflow=False)
    for step in ("submitted", "drafted", "assessed"):
        append_next(
            app.engine,
            document_id,
            event_id=derive_id(document_id, step),
            event_type=step,
            data={"step": step},
            now=datetime.now(UTC),
        )

    trail = app.host.http("GET", f"/api/documents/{document_id}/events").json()
    assert [e["type"] for e in trail["events"]] == ["submitted", "drafted", "assessed"]
    assert trail["verification"]["ok"] is True
    assert trail["verification"]["length"] == 3

    with app.engine.begin() as conn:  # someone edits history behind the API's back
        conn.execute(
            sa.text("UPDATE audit_events SET data = :d WHERE stream_id = :s AND version = 2"),
            {"d": json.dumps({"step": "forged"}), "s": document_id},
        )
    broken = app.host.http("GET", f"/api/documents/{document_id}/events").json()
    assert broken["verification"]["ok"] is False
    assert broken["verification"]["brokenAt"] == 2


def test_the_quarantine_listing_checks_its_parameters(app: ApiApp) -> None:
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "many"}, "limit"),
    ):
        answer = app.host.http("GET", "/api/quarantine", params=params)
        assert (answer.status, answer.json()["field"]) == (400, field)
    assert app.host.http("GET", "/api/quarantine/never-seen").status == 404
    page = app.host.http("GET", "/api/quarantine", params={"limit": "1"}).json()
    assert page["limit"] == 1
    assert len(page["items"]) <= 1


def test_the_openapi_document_is_served(app: ApiApp) -> None:
    answer = app.host.http("GET", "/api/openapi.json")

    assert answer.status == 200
    assert answer.json() == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
