"""The dead-letter processor on devhost: a handler that always fails ends in the dead-letter
queue, and the processor records it with its reason; operators list and resubmit it.

The api_app registers the real ingress but no device entity, so every device event's handler
fails (the entity signal is refused): a real failure that lasts, as a broken deployment would.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from api_support import ApiApp, header

from tests.support.metrics import metric


def test_a_handler_that_always_fails_ends_as_a_recorded_dead_letter(app: ApiApp) -> None:
    counted = {"queue": "device-events", "reason": "MaxDeliveryCountExceeded"}
    before = metric(app.host, "messages_dead_lettered_total", **counted)
    device = f"dev-{uuid.uuid4().hex[:8]}"
    event = {
        "eventId": f"e-{uuid.uuid4().hex}",
        "deviceId": device,
        "type": "t",
        "occurredAt": "2026-01-05T09:00:00Z",
        "data": {"n": 1},
    }
    message_id = f"m-{uuid.uuid4().hex}"
    answer = app.host.http(
        "POST",
        "/admin/devhost/queues/device-events/messages",
        data=json.dumps(event),
        headers={"Content-Type": "application/json"},
        params={"sessionId": device, "messageId": message_id, "correlationId": "corr-42"},
    )
    assert answer.status == 201, answer.text
    app.host.wait_idle()

    counts = app.host.http("GET", "/admin/devhost/queues/device-events").json()
    assert (counts["active"], counts["deadLetter"]) == (0, 0)  # the processor took it
    listed = app.host.http("GET", "/api/dead-letters", params={"source": "device-events"})
    assert listed.status == 200, listed.text
    [item] = [i for i in listed.json()["items"] if i["messageId"] == message_id]
    assert item["reason"] == "MaxDeliveryCountExceeded"
    assert "10 delivery attempts" in item["description"]
    assert (item["sessionId"], item["correlationId"]) == (device, "corr-42")
    assert item["deliveryCount"] >= 10
    assert {
        "source": "device-events",
        "reason": "MaxDeliveryCountExceeded",
        "count": listed.json()["total"],
    } in listed.json()["counts"]

    one = app.host.http("GET", f"/api/dead-letters/{item['id']}").json()
    assert json.loads(one["body"]) == event
    assert metric(app.host, "messages_dead_lettered_total", **counted) == before + 1

    # Resubmitting hands it to the same (still broken) ingress: it fails, and stays
    # resubmittable.
    failed = app.host.http("POST", f"/api/dead-letters/{item['id']}/resubmit")
    assert failed.status == 500
    assert header(failed, "Content-Type").startswith("application/problem+json")
    again = app.host.http("GET", f"/api/dead-letters/{item['id']}").json()
    assert again["resubmittedAt"] is None


def test_dead_letter_routes_answer_problems_for_bad_requests(app: ApiApp) -> None:
    missing = app.host.http("GET", "/api/dead-letters/nosuch")
    assert missing.status == 404
    assert missing.json()["type"] == "urn:problem:NotFound"
    assert app.host.http("POST", "/api/dead-letters/nosuch/resubmit").status == 404
    bad = app.host.http("GET", "/api/dead-letters", params={"limit": "0"})
    assert bad.status == 400
    assert bad.json()["field"] == "limit"


def test_the_dead_letter_log_line_cannot_be_forged(
    app: ApiApp, caplog: pytest.LogCaptureFixture
) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    event = {
        "eventId": f"e-{uuid.uuid4().hex}",
        "deviceId": device,
        "type": "t",
        "occurredAt": "2026-01-05T09:00:00Z",
        "data": {},
    }
    forged = "c1\r\nERROR dead letter from nowhere: all is well"
    caplog.set_level(logging.ERROR, logger="ingress.dead_letters")
    answer = app.host.http(
        "POST",
        "/admin/devhost/queues/device-events/messages",
        data=json.dumps(event),
        headers={"Content-Type": "application/json"},
        params={"sessionId": device, "correlationId": forged},
    )
    assert answer.status == 201, answer.text
    app.host.wait_idle()
    lines = [r.getMessage() for r in caplog.records if r.name == "ingress.dead_letters"]
    assert lines, "the processor logged nothing"
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert any("\\r\\nERROR dead letter from nowhere" in line for line in lines)
