"""The schema-changes trigger on devhost: messages sent through the admin route.

Bad messages are quarantined with their reason and completed (never retried into the
dead-letter queue); a message for a document whose workflow is running starts nothing.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from api_support import ApiApp

from services import audit_trail, document_record

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "messages"


def assert_settled(app: ApiApp) -> None:
    """Completed on its first delivery: nothing left, nothing redelivered or dead-lettered."""
    counts = app.queue_counts()
    assert (counts["active"], counts["deadLetter"]) == (0, 0), counts
    assert app.dead_letters() == []


def test_a_valid_message_registers_the_document_and_starts_its_workflow(app: ApiApp) -> None:
    upper = str(uuid.uuid4()).upper()
    message = app.submit(documentId=upper, physicalName="sales.customers")

    document_id = upper.lower()  # the instance id is the canonical (lower-case) UUID
    status = app.host.status(document_id)
    assert status is not None
    assert status["runtimeStatus"] == "Running"
    assert status["input"] == {
        "workflow": "document-approval",
        "input": {
            **message,
            "documentId": document_id,
            "messageId": status["input"]["input"]["messageId"],
        },
    }
    record = document_record(app.engine, document_id)
    assert (record.status, record.physical_name) == ("submitted", "sales.customers")
    assert_settled(app)


def test_a_malformed_message_is_quarantined_naming_every_field(app: ApiApp) -> None:
    message_id = app.send((EXAMPLES / "malformed.json").read_bytes())

    answer = app.host.http("GET", f"/api/quarantine/{message_id}")

    assert answer.status == 200, answer.text
    quarantined = answer.json()
    assert quarantined["reason"] == "schema-invalid"
    assert quarantined["source"] == "schema-changes"
    assert quarantined["details"]["deliveryCount"] == 1
    fields = [e["field"] for e in quarantined["details"]["errors"]]
    assert fields == ["changeType", "databaseName", "documentId"]
    assert quarantined["body"] == (EXAMPLES / "malformed.json").read_text()
    assert_settled(app)


def test_a_body_that_is_not_json_is_quarantined_as_not_json(app: ApiApp) -> None:
    message_id = app.send("documentId=42")

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()

    assert quarantined["reason"] == "not-json"
    assert "not JSON" in quarantined["details"]["error"]
    assert_settled(app)


def test_an_unknown_database_is_quarantined_and_starts_nothing(app: ApiApp) -> None:
    body = json.loads((EXAMPLES / "unknown-database.json").read_text())
    body["documentId"] = str(uuid.uuid4())
    message_id = app.send(json.dumps(body))

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    listed = app.host.http("GET", "/api/quarantine", params={"reason": "unknown-database"})

    assert quarantined["reason"] == "unknown-database"
    assert quarantined["details"]["field"] == "databaseName"
    assert "'crm'" in quarantined["details"]["message"]
    assert message_id in [m["messageId"] for m in listed.json()["items"]]
    assert app.host.status(body["documentId"]) is None
    assert_settled(app)


def test_a_duplicate_for_a_running_workflow_starts_nothing(app: ApiApp) -> None:
    message = app.submit()
    document_id = message["documentId"]
    history = app.host.history(document_id)

    duplicate_id = app.send(json.dumps(message))  # the same change again, another message

    assert app.host.history(document_id) == history  # not restarted, not touched
    assert app.host.status(document_id)["runtimeStatus"] == "Running"
    events = audit_trail(app.engine, document_id).events
    assert [(e.type, e.data["messageId"]) for e in events] == [("duplicate-ignored", duplicate_id)]
    assert app.host.http("GET", f"/api/quarantine/{duplicate_id}").status == 404
    assert_settled(app)


def test_a_document_id_reused_for_another_object_is_quarantined(app: ApiApp) -> None:
    first = app.submit()
    app.host.http(
        "POST",
        f"/runtime/webhooks/durabletask/instances/{first['documentId']}/terminate",
        params={"reason": "test"},
    )
    app.host.wait_idle()

    message_id = app.send(json.dumps({**first, "physicalName": "sales.invoices"}))

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    assert quarantined["reason"] == "document-conflict"
    assert quarantined["details"]["field"] == "documentId"
    assert app.host.status(first["documentId"])["runtimeStatus"] == "Terminated"
    assert_settled(app)


def test_another_object_under_a_running_document_id_is_a_conflict_not_a_duplicate(
    app: ApiApp,
) -> None:
    first = app.submit()
    history = app.host.history(first["documentId"])

    message_id = app.send(json.dumps({**first, "physicalName": "sales.invoices"}))

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    assert quarantined["reason"] == "document-conflict"
    assert "sales.invoices" in quarantined["details"]["message"]
    assert app.host.history(first["documentId"]) == history
    assert audit_trail(app.engine, first["documentId"]).events == ()  # no duplicate event
    assert_settled(app)


def test_a_redelivered_message_that_started_the_run_starts_and_records_nothing(app: ApiApp) -> None:
    message = app.submit()
    document_id = message["documentId"]
    started_by = app.host.status(document_id)["input"]["input"]["messageId"]
    history = app.host.history(document_id)

    app.send(json.dumps(message), message_id=started_by)  # the lost completion's redelivery

    assert app.host.history(document_id) == history
    assert audit_trail(app.engine, document_id).events == ()
    assert_settled(app)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (nested(100_000), "nested deeper than"),
        (json.dumps({"documentId": {"a": json.loads(nested(40))}}), "nested deeper than"),
        ('{"documentId": "\\ud800", "physicalName": "sales.orders"}', "unpaired surrogate"),
    ],
)
def test_hostile_json_is_quarantined_at_once_not_redelivered(
    app: ApiApp, body: str, says: str
) -> None:
    message_id = app.send(body)

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    assert quarantined["reason"] == "not-json", quarantined
    assert says in quarantined["details"]["error"]
    assert quarantined["details"]["deliveryCount"] == 1
    assert_settled(app)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("documentId", "2a9c3f0e-5b1d-4c7e-9a21-000000000002}"),  # uuid.UUID() strips "}"
        ("documentId", "{2a9c3f0e-5b1d-4c7e-9a21-000000000002}"),
        ("documentId", "urn:uuid:2a9c3f0e-5b1d-4c7e-9a21-000000000002"),
        ("documentId", "2a9c3f0e5b1d4c7e9a21000000000002"),
        ("documentId", "2a9c3f0e-5b1d-4c7e-9a21-000000000002\n"),
        ("physicalName", "sales.orders\n"),
        ("databaseName", "warehouse\n"),
        ("requestedBy", "rita\r\nBcc: everyone@example.com"),
        ("requestedBy", "<script>alert(1)</script>"),
        ("requestedBy", "rita\u0000"),
    ],
)
def test_odd_text_in_a_field_is_schema_invalid_naming_it(
    app: ApiApp, field: str, value: str
) -> None:
    message = {
        "documentId": str(uuid.uuid4()),
        "physicalName": "sales.orders",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "rita.requester@example.com",
        field: value,
    }

    message_id = app.send(json.dumps(message))

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    assert quarantined["reason"] == "schema-invalid"
    assert [e["field"] for e in quarantined["details"]["errors"]] == [field]
    assert_settled(app)


def test_an_upper_case_document_id_is_found_by_the_api_in_either_case(app: ApiApp) -> None:
    upper = str(uuid.uuid4()).upper()
    app.submit(documentId=upper)

    for written in (upper, upper.lower()):
        answer = app.host.http("GET", f"/api/documents/{written}")
        assert answer.status == 200, answer.text
        assert answer.json()["documentId"] == upper.lower()
        assert app.host.http("GET", f"/api/documents/{written}/events").status == 200
