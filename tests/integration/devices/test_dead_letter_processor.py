"""The dead-letter processor of the real app: a schema change whose handling keeps failing
(the app database refuses the document) is dead-lettered after MaxDeliveryCount deliveries,
recorded with its reason, and, once the database is fixed, resubmitted to its ingress once."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from device_support import DeviceApp


def test_a_dead_lettered_schema_change_is_recorded_and_resubmitted_once(app: DeviceApp) -> None:
    document_id = str(uuid.uuid4())
    change = {
        "documentId": document_id,
        "physicalName": "sales.orders",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "rita.requester@example.com",
    }
    with app.db.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse_documents BEFORE INSERT ON documents"
                f" WHEN NEW.document_id = '{document_id}'"
                " BEGIN SELECT RAISE(ABORT, 'injected: the documents table is full'); END"
            )
        )
    message_id = f"m-{uuid.uuid4().hex}"
    answer = app.host.http(
        "POST",
        "/admin/devhost/queues/schema-changes/messages",
        data=json.dumps(change),
        params={"messageId": message_id},
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text
    app.host.wait_idle()

    listed = app.host.http(
        "GET",
        "/api/dead-letters",
        params={"source": "schema-changes", "reason": "MaxDeliveryCountExceeded"},
    ).json()
    [item] = [i for i in listed["items"] if i["messageId"] == message_id]
    assert item["deliveryCount"] >= 10
    assert app.counts("schema-changes")["deadLetter"] == 0  # taken by the processor
    assert app.host.status(document_id) is None

    with app.db.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse_documents"))
    resubmitted = app.host.http("POST", f"/api/dead-letters/{item['id']}/resubmit")
    assert resubmitted.status == 200, resubmitted.text
    assert resubmitted.json()["resubmitOutcome"]["action"] == "started"
    assert resubmitted.json()["resubmitOutcome"]["instanceId"] == document_id
    status = app.host.status(document_id)
    assert status is not None
    assert status["input"]["workflow"] == "document-approval"

    twice = app.host.http("POST", f"/api/dead-letters/{item['id']}/resubmit")
    assert twice.status == 409
    assert twice.json()["type"] == "urn:problem:Conflict"
