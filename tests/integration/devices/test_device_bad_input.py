"""Device messages that can never succeed are quarantined with their reason, and start and
signal nothing; a send without a session id is refused by the broker."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from device_support import DeviceApp

from examples.device_events import device_events
from tests.support.metrics import metric


def fresh() -> str:
    return f"dev-{uuid.uuid4().hex[:8]}"


def assert_untouched(app: DeviceApp, *devices: str) -> None:
    for device in devices:
        assert app.status(device) is None, device
        assert app.entity(device) is None, device


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "MalformedJson"),
        (b"\xff\xfe\x00", "MalformedJson"),
        (b'{"eventId": "e-1", "deviceId":', "MalformedJson"),
        (json.dumps({"eventId": "e-1", "type": "t"}).encode(), "SchemaValidationFailed"),
        (json.dumps([1, 2]).encode(), "SchemaValidationFailed"),
    ],
)
def test_a_message_that_is_not_an_event_is_quarantined(
    app: DeviceApp, body: bytes, reason: str
) -> None:
    device = fresh()
    message_id = f"bad-{uuid.uuid4().hex}"
    rejected = metric(app.host, "device_events_recorded_total", outcome="rejected")
    app.send(body, session_id=device, message_id=message_id)

    quarantined = app.quarantined(message_id)
    assert quarantined is not None
    assert metric(app.host, "device_events_recorded_total", outcome="rejected") == rejected + 1
    assert (quarantined["reason"], quarantined["source"]) == (reason, "device-events")
    assert quarantined["details"]["deliveryCount"] == 1
    assert_untouched(app, device)
    counts = app.counts()
    assert (counts["active"], counts["deadLetter"]) == (0, 0)


def test_schema_problems_name_every_field(app: DeviceApp) -> None:
    device = fresh()
    message_id = f"bad-{uuid.uuid4().hex}"
    app.send(
        {
            "eventId": "",
            "deviceId": device,
            "type": "t",
            "occurredAt": "noon",
            "data": "x",
            "color": "red",
        },
        message_id=message_id,
    )
    quarantined = app.quarantined(message_id)
    assert quarantined is not None
    fields = [e["field"] for e in quarantined["details"]["errors"]]
    assert fields == ["color", "data", "eventId", "occurredAt"]
    assert_untouched(app, device)


def test_a_session_that_is_not_the_device_is_a_session_mismatch(app: DeviceApp) -> None:
    device, other = fresh(), fresh()
    [event] = device_events([device], 1, seed=5)
    message_id = f"bad-{uuid.uuid4().hex}"
    app.send(event, session_id=other, message_id=message_id)

    quarantined = app.quarantined(message_id)
    assert quarantined is not None
    assert quarantined["reason"] == "SessionMismatch"
    assert quarantined["details"]["field"] == "deviceId"
    assert quarantined["details"]["sessionId"] == other
    assert json.loads(quarantined["body"]) == event
    assert_untouched(app, device, other)


def test_a_bad_message_among_good_ones_of_a_session_spoils_nothing(app: DeviceApp) -> None:
    device = fresh()
    good = device_events([device], 3, seed=6)
    bodies: list[Any] = [good[0], b"{broken", good[1], {**good[2], "deviceId": fresh()}]
    for body in bodies:
        app.send(body, session_id=device, settle=False)
    app.host.wait_idle()
    entity = app.entity(device)
    assert entity is not None
    assert [e["eventId"] for e in entity["events"]] == [good[0]["eventId"], good[1]["eventId"]]
    listed = app.host.http("GET", "/api/quarantine", params={"reason": "SessionMismatch"})
    assert listed.status == 200


def test_a_send_without_a_session_id_is_refused_with_400(app: DeviceApp) -> None:
    [event] = device_events([fresh()], 1, seed=8)
    answer = app.host.http(
        "POST",
        "/admin/devhost/queues/device-events/messages",
        data=json.dumps(event),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 400
    assert answer.headers.get("Content-Type", "").startswith("application/problem+json")
    problem = answer.json()
    assert problem["field"] == "sessionId"
    assert "requires sessions" in problem["detail"]
    assert_untouched(app, event["deviceId"])
