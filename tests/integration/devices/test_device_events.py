"""Device events end to end on devhost: the session queue, the device entity, the workflow
and the app database, with the virtual clock closing the windows."""

from __future__ import annotations

import json
import uuid
from collections import Counter

from device_support import ROOT, DeviceApp
from jsonschema import Draft202012Validator

from examples.device_events import device_events
from tests.support.metrics import metric

SCHEMAS = ROOT / "activities" / "schemas"


def devices(n: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"dev-{run}-{i}" for i in range(n)]


def test_interleaved_events_of_three_devices(app: DeviceApp) -> None:
    names = devices(3)
    events = device_events(names, 20, seed=7)
    taken = {
        outcome: metric(app.host, "device_events_recorded_total", outcome=outcome)
        for outcome in ("started", "routed")
    }
    app.send_all(events)
    assert {
        outcome: metric(app.host, "device_events_recorded_total", outcome=outcome) - n
        for outcome, n in taken.items()
    } == {"started": 3, "routed": 57}

    for device in names:
        sent = [e["eventId"] for e in events if e["deviceId"] == device]
        entity = app.entity(device)
        assert entity is not None
        assert [e["eventId"] for e in entity["events"]] == sent  # in send order
        assert entity["totalReceived"] == 20
        status = app.status(device)
        assert status is not None
        assert status["runtimeStatus"] == "Running"
        assert status["input"]["input"]["eventId"] == sent[0]  # the first event started it
        assert app.raised(device) == 19  # ... and the others were routed to it

    app.close_windows()

    for device in names:
        mine = [e for e in events if e["deviceId"] == device]
        status = app.status(device)
        assert status is not None
        assert status["runtimeStatus"] == "Completed", status
        assert status["output"] == {
            "deviceId": device,
            "processed": 20,
            "byType": dict(Counter(e["type"] for e in mine)),
            "firstAt": mine[0]["occurredAt"],
            "lastAt": mine[-1]["occurredAt"],
        }
        assert sorted(r["event_id"] for r in app.stored(device)) == sorted(
            e["eventId"] for e in mine
        )
        entity = app.entity(device)
        assert entity is not None
        assert entity["events"] == []
        assert entity["totalReceived"] == 20
        record = app.record(device)
        assert record is not None
        assert record["body"]["totalEvents"] == 20
        assert record["body"]["status"] == "idle"
        assert record["body"]["lastSeen"] == mine[-1]["occurredAt"]


def test_the_same_event_twice_is_stored_once_and_counted_as_a_duplicate(app: DeviceApp) -> None:
    [device] = devices(1)
    first, second = device_events([device], 2, seed=1)
    app.send(first, message_id="m-1")
    app.send(first, message_id="m-1")  # delivered again
    app.send(second)
    app.close_windows()

    entity = app.entity(device)
    assert entity is not None
    assert (entity["totalReceived"], entity["duplicates"]) == (2, 1)
    assert [r["event_id"] for r in app.stored(device)] == [first["eventId"], second["eventId"]]
    status = app.status(device)
    assert status is not None
    assert status["output"]["processed"] == 2


def test_an_event_after_the_run_completed_starts_a_new_window(app: DeviceApp) -> None:
    [device] = devices(1)
    first, second = device_events([device], 2, seed=2)
    app.send(first)
    app.close_windows()
    done = app.status(device)
    assert done is not None
    assert (done["runtimeStatus"], done["output"]["processed"]) == ("Completed", 1)

    app.send(second)
    again = app.status(device)
    assert again is not None
    assert again["runtimeStatus"] == "Running"
    assert again["input"]["input"]["eventId"] == second["eventId"]
    app.close_windows()

    final = app.status(device)
    assert final is not None
    assert (final["runtimeStatus"], final["output"]["processed"]) == ("Completed", 1)
    assert len(app.stored(device)) == 2
    record = app.record(device)
    assert record is not None
    assert (record["body"]["totalEvents"], record["body"]["windows"]) == (2, 2)


def test_an_event_for_a_suspended_run_is_routed_to_it_and_counted_after_resume(
    app: DeviceApp,
) -> None:
    [device] = devices(1)
    first, second = device_events([device], 2, seed=3)
    app.send(first)
    suspended = app.host.http(
        "POST", f"/api/instances/{device}/suspend", json={"reason": "maintenance"}
    )
    assert suspended.status == 202, suspended.text
    app.host.wait_idle()
    status = app.status(device)
    assert status is not None and status["runtimeStatus"] == "Suspended"

    app.send(second)  # a suspended run is still the device's run: no second one starts
    held = app.status(device)
    assert held is not None and held["runtimeStatus"] == "Suspended"
    assert held["input"]["input"]["eventId"] == first["eventId"]

    resumed = app.host.http(
        "POST", f"/api/instances/{device}/resume", json={"reason": "maintenance done"}
    )
    assert resumed.status == 202, resumed.text
    app.host.wait_idle()
    assert app.raised(device) == 1
    app.close_windows()
    final = app.status(device)
    assert final is not None
    assert (final["runtimeStatus"], final["output"]["processed"]) == ("Completed", 2)
    assert len(app.stored(device)) == 2


def test_what_the_workflows_pass_their_activities_matches_the_activity_schemas(
    app: DeviceApp,
) -> None:
    """So the activity registry (which checks inputs against activities/schemas) accepts every
    call the device workflows make, and every result they get back."""
    [device] = devices(1)
    app.send_all(device_events([device], 4, seed=31))
    app.close_windows()
    checked = set()
    for instance in (device, f"{device}:Process:1"):
        history = app.host.history(instance)
        scheduled = {e["EventId"]: e for e in history if e["EventType"] == 4}
        for event in history:
            if event["EventType"] != 5 or scheduled[event["TaskScheduledId"]]["Name"] == (
                "load_workflow_definition"
            ):
                continue
            call = scheduled[event["TaskScheduledId"]]
            schema = json.loads((SCHEMAS / f"{call['Name']}.json").read_text(encoding="utf-8"))
            Draft202012Validator(schema["input"]).validate(json.loads(call["Input"]))
            Draft202012Validator(schema["output"]).validate(json.loads(event["Result"]))
            checked.add(call["Name"])
    assert checked == {
        "open_device_window",
        "create_record",
        "process_device_events",
        "update_record",
    }
