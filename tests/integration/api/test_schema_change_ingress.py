"""The schema-changes trigger on devhost: messages sent through the admin route.

Bad messages are quarantined with their reason and completed (never retried into the
dead-letter queue); a message for a document whose workflow is running starts nothing.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

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
    assert status["input"] == {"workflow": "document-approval",
                               "input": {**message, "documentId": document_id}}
    record = document_record(app.engine, document_id)
    assert (record["status"], record["physicalName"]) == ("submitted", "sales.customers")
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
    events = audit_trail(app.engine, document_id)["events"]
    assert [(e["type"], e["data"]["messageId"]) for e in events] == [
        ("duplicate-ignored", duplicate_id)]
    assert app.host.http("GET", f"/api/quarantine/{duplicate_id}").status == 404
    assert_settled(app)


def test_a_document_id_reused_for_another_object_is_quarantined(app: ApiApp) -> None:
    first = app.submit()
    app.host.http("POST", f"/runtime/webhooks/durabletask/instances/{first['documentId']}"
                          "/terminate", params={"reason": "test"})
    app.host.wait_idle()

    message_id = app.send(json.dumps({**first, "physicalName": "sales.invoices"}))

    quarantined = app.host.http("GET", f"/api/quarantine/{message_id}").json()
    assert quarantined["reason"] == "document-conflict"
    assert quarantined["details"]["field"] == "documentId"
    assert app.host.status(first["documentId"])["runtimeStatus"] == "Terminated"
    assert_settled(app)
