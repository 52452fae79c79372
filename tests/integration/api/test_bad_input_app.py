"""Bad input to the app gets the answer docs/bad-input.md documents: its app sections.

Each row of the sections "Schema-change ingress", "Approval links" and "Documents and the
management API" names a case here (``test_ingress[case]``, ``test_request[case]``); the case
says what is sent, the row what must come back: a quarantine reason and phrases of its details
for a message, a problem (status, ``field``, phrases of ``detail``) for an HTTP request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from api_support import ApiApp

from services import close_approval
from tests.support.bad_input import Row, case_id, check_problem, rows

GOOD = {
    "physicalName": "sales.orders",
    "databaseName": "warehouse",
    "changeType": "Altered",
    "requestedBy": "rita.requester@example.com",
}


def message(**changes: Any) -> str:
    return json.dumps({"documentId": str(uuid.uuid4()), **GOOD, **changes})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- schema-change messages -----------------------------------------------------------------

MESSAGES: dict[str, Callable[[ApiApp], bytes | str]] = {
    "not-json": lambda app: "documentId=42",
    "not-utf-8": lambda app: b'{"documentId": "\xff"}',
    "nested-too-deep": lambda app: nested(100_000),
    "lone-surrogate": lambda app: message(requestedBy="rita.x").replace("rita.x", "rita\\ud800"),
    "not-an-object": lambda app: "[]",
    "fields-missing": lambda app: "{}",
    "unknown-field": lambda app: message(requester="rita"),
    "document-id-braces": lambda app: message(documentId="{2a9c3f0e-5b1d-4c7e-9a21-000000000002}"),
    "document-id-trailing-character": lambda app: message(
        documentId="2a9c3f0e-5b1d-4c7e-9a21-000000000002}"
    ),
    "document-id-urn": lambda app: message(
        documentId="urn:uuid:2a9c3f0e-5b1d-4c7e-9a21-000000000002"
    ),
    "physical-name-trailing-newline": lambda app: message(physicalName="sales.orders\n"),
    "database-name-control-character": lambda app: message(databaseName="ware\x00house"),
    "requested-by-crlf": lambda app: message(requestedBy="rita\r\nBcc: all@example.com"),
    "requested-by-markup": lambda app: message(requestedBy="<script>alert(1)</script>"),
    "change-type-unknown": lambda app: message(changeType="Renamed"),
    "unknown-database": lambda app: message(databaseName="crm"),
    "another-object-under-a-document-id": lambda app: json.dumps(
        {**app.submit(), "physicalName": "sales.invoices"}
    ),
}
INGRESS_ROWS = rows("Schema-change ingress", "test_ingress")


@pytest.mark.parametrize("row", INGRESS_ROWS, ids=case_id)
def test_ingress(app: ApiApp, row: Row) -> None:
    message_id = app.send(MESSAGES[case_id(row)](app))
    answer = app.host.http("GET", f"/api/quarantine/{message_id}")
    assert answer.status == 200, f"{row}: not quarantined ({answer.status})"
    quarantined = answer.json()
    assert quarantined["reason"] == row.quarantine_reason, f"{row}: {quarantined['reason']}"
    assert quarantined["details"]["deliveryCount"] == 1  # at once, never redelivered
    text = json.dumps(quarantined["details"], ensure_ascii=False)
    for phrase in row.phrases:
        assert phrase in text, f"{row}: {phrase!r} not in {text}"
    counts = app.queue_counts()
    assert (counts["active"], counts["deadLetter"]) == (0, 0), counts


def test_every_ingress_case_has_its_row() -> None:
    assert sorted(case_id(r) for r in INGRESS_ROWS) == sorted(MESSAGES)


# --- HTTP requests --------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Request = tuple[str, str, dict[str, Any]]


def _token(app: ApiApp) -> str:
    return app.case()[1]["DBA"]


def _decided(app: ApiApp) -> str:
    token = _token(app)
    assert app.decide(token, "approve").status == 200
    return token


def _closed(app: ApiApp) -> str:
    document_id, tokens = app.case()
    close_approval(app.engine, document_id, "cancelled", datetime.now(UTC))
    return tokens["DBA"]


def _re_encoded(app: ApiApp) -> str:
    payload, mac = _token(app).split(".")
    return f"{payload}.{mac}" + "=" * (-len(mac) % 4 or 4)  # padding the decoder forgives


def _decision(
    build: Callable[[ApiApp], str], body: Any, headers: dict[str, str] | None = None
) -> Callable[[ApiApp], Request]:
    def request(app: ApiApp) -> Request:
        options: dict[str, Any] = {"headers": headers or JSON}
        options["data"] = body if isinstance(body, bytes | str) else json.dumps(body)
        return "POST", f"/api/approvals/{build(app)}", options

    return request


REQUESTS: dict[str, Callable[[ApiApp], Request]] = {
    "token-garbage": _decision(lambda app: "garbage", {"decision": "approve"}),
    "token-tampered": _decision(lambda app: _token(app)[:-2] + "AA", {"decision": "approve"}),
    "token-re-encoded": _decision(_re_encoded, {"decision": "approve"}),
    "decision-missing": _decision(_token, {"comment": "fine"}),
    "decision-unknown": _decision(_token, {"decision": "maybe"}),
    "decision-field-unknown": _decision(_token, {"decision": "approve", "vote": "yes"}),
    "body-not-json": _decision(_token, "{decision: approve}"),
    "body-not-an-object": _decision(_token, "[]"),
    "body-nested-too-deep": _decision(_token, nested(100_000)),
    "comment-lone-surrogate": _decision(_token, '{"decision": "approve", "comment": "\\ud800"}'),
    "comment-too-long": _decision(_token, {"decision": "approve", "comment": "x" * 4001}),
    "content-type-unsupported": _decision(
        _token, "decision=approve", {"Content-Type": "text/plain"}
    ),
    "form-decision-twice": _decision(_token, "decision=approve&decision=reject", FORM),
    "form-not-utf-8": _decision(_token, b"decision=approve&comment=%FF%FE", FORM),
    "other-decision-after-deciding": _decision(_decided, {"decision": "reject"}),
    "approval-closed": _decision(_closed, {"decision": "approve"}),
    "document-unknown": lambda app: ("GET", f"/api/documents/{uuid.uuid4()}", {}),
    "document-events-unknown": lambda app: ("GET", f"/api/documents/{uuid.uuid4()}/events", {}),
    "document-draft-unknown": lambda app: ("GET", f"/api/documents/{uuid.uuid4()}/draft", {}),
    "quarantine-limit-out-of-range": lambda app: (
        "GET",
        "/api/quarantine",
        {"params": {"limit": "100000"}},
    ),
    "quarantined-message-unknown": lambda app: ("GET", "/api/quarantine/no-such-message", {}),
    "workflow-unknown": lambda app: (
        "POST",
        "/api/workflows/no-such-workflow/instances",
        {"json": {}},
    ),
    "instances-top-out-of-range": lambda app: ("GET", "/api/instances", {"params": {"top": "0"}}),
    "instances-created-from-not-a-time": lambda app: (
        "GET",
        "/api/instances",
        {"params": {"createdFrom": "yesterday"}},
    ),
    "instance-unknown": lambda app: ("GET", f"/api/instances/{uuid.uuid4()}", {}),
    "event-to-an-unknown-instance": lambda app: (
        "POST",
        f"/api/instances/{uuid.uuid4()}/events/approval",
        {"json": {}},
    ),
    "event-body-lone-surrogate": lambda app: (
        "POST",
        f"/api/instances/{app.submit()['documentId']}/events/approval",
        {"data": '{"note": "\\ud800"}', "headers": JSON},
    ),
    "event-body-not-json": lambda app: (
        "POST",
        f"/api/instances/{app.submit()['documentId']}/events/approval",
        {"data": "{oops", "headers": JSON},
    ),
    "definition-not-json": lambda app: (
        "POST",
        "/api/workflows/validate",
        {"data": "{oops", "headers": JSON},
    ),
}
HTTP_ROWS = rows("Approval links", "test_request") + rows(
    "Documents and the management", "test_request"
)


@pytest.mark.parametrize("row", HTTP_ROWS, ids=case_id)
def test_request(app: ApiApp, row: Row) -> None:
    method, path, options = REQUESTS[case_id(row)](app)
    check_problem(app.host.http(method, path, **options), row)


def test_every_request_case_has_its_row() -> None:
    assert sorted(case_id(r) for r in HTTP_ROWS) == sorted(REQUESTS)
