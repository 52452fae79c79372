"""The entity's bound and the batch size, each on a host with its own device settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from device_support import DeviceApp, running_app

from examples.device_events import device_events


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceApp]:
    with running_app(
        tmp_path_factory.mktemp("bounded"), DEVICE_EVENTS_LIMIT="1000", DEVICE_BATCH_SIZE="5000"
    ) as running:
        yield running


def test_beyond_the_limit_the_oldest_events_are_dropped_and_counted(bounded: DeviceApp) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    events = device_events([device], 1200, seed=3)
    held = []
    for start in range(0, 1200, 200):
        bounded.send_all(events[start : start + 200])
        entity = bounded.entity(device)
        assert entity is not None
        held.append(len(entity["events"]))
    assert held == [200, 400, 600, 800, 1000, 1000]  # never more than the limit

    entity = bounded.entity(device)
    assert entity is not None
    assert (entity["totalReceived"], entity["dropped"]) == (1200, 200)
    assert [e["eventId"] for e in entity["events"]] == [e["eventId"] for e in events[200:]]

    bounded.close_windows()
    status = bounded.status(device)
    assert status is not None
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["processed"] == 1000  # what the entity still held
    assert len(bounded.stored(device)) == 1000


@pytest.fixture(scope="module")
def small_batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceApp]:
    with running_app(tmp_path_factory.mktemp("small"), DEVICE_BATCH_SIZE="7") as running:
        yield running


def test_full_batches_close_early_and_nothing_is_left_behind(small_batches: DeviceApp) -> None:
    run = uuid.uuid4().hex[:8]
    names = [f"dev-{run}-{i}" for i in range(4)]
    events = device_events(names, 40, seed=11)
    for start in range(0, len(events), 20):  # windows close on the batch size meanwhile
        small_batches.send_all(events[start : start + 20])

    small_batches.close_windows()  # the last, partial windows
    stored = small_batches.stored()
    assert sorted(r["event_id"] for r in stored) == sorted(e["eventId"] for e in events)
    for device in names:
        status = small_batches.status(device)
        assert status is not None
        assert status["runtimeStatus"] == "Completed", status
        entity = small_batches.entity(device)
        assert entity is not None
        assert (entity["events"], entity["totalReceived"]) == ([], 40)
        record = small_batches.record(device)
        assert record is not None
        assert record["body"]["totalEvents"] == 40
        # A window closed on the batch size before the deadline closed the last one. (Events
        # that arrive while a window is read join it, so windows hold 7 or more.)
        assert record["body"]["windows"] >= 2


def test_a_bad_events_limit_setting_dead_letters_instead_of_losing_events(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with running_app(
        tmp_path_factory.mktemp("misconfigured"), DEVICE_EVENTS_LIMIT="lots"
    ) as broken:
        device = f"dev-{uuid.uuid4().hex[:8]}"
        [event] = device_events([device], 1, seed=4)
        broken.send(event, message_id="m-misconfigured")
        listed = broken.host.http(
            "GET", "/api/dead-letters", params={"source": "device-events"}
        ).json()
        assert [i["messageId"] for i in listed["items"]] == ["m-misconfigured"]
        assert listed["items"][0]["reason"] == "MaxDeliveryCountExceeded"
        assert broken.entity(device) is None
        assert broken.status(device) is None
