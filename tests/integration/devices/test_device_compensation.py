"""A window that fails after its record was written compensates newest first: the batch's rows
are removed, the record is reverted, and the device's run ends Failed with the reason. The
failure is a real one: the app database refuses the record's update (a SQLite trigger)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from device_support import DeviceApp

from examples.device_events import device_events


def refuse_updates(app: DeviceApp, device: str, windows: int) -> Iterator[None]:
    name = f"refuse_{uuid.uuid4().hex[:8]}"
    with app.db.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON records"
                f" WHEN NEW.record_key = '{device}'"
                f" AND json_extract(NEW.body, '$.windows') = {windows}"
                " BEGIN SELECT RAISE(ABORT, 'injected: the database refused the update'); END"
            )
        )
    try:
        yield
    finally:
        with app.db.begin() as conn:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))


def test_a_failed_update_record_compensates_the_first_window(app: DeviceApp) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    events = device_events([device], 3, seed=21)
    for _ in refuse_updates(app, device, windows=1):
        app.send_all(events)
        app.close_windows()

        status = app.status(device)
        assert status is not None
        assert status["runtimeStatus"] == "Failed"
        assert "IntegrityError" in status["output"]
        assert "injected: the database refused the update" in status["output"]
        assert app.stored(device) == []  # the batch's rows were removed
        assert app.record(device) is None  # the record it created is gone
        entity = app.entity(device)
        assert entity is not None
        assert len(entity["events"]) == 3  # nothing was cleared: a later window takes them


def test_a_failed_later_window_reverts_the_record_and_keeps_earlier_windows(app: DeviceApp) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    first, second = device_events([device], 2, seed=22)
    app.send(first)
    app.close_windows()
    before = app.record(device)
    assert before is not None
    assert before["body"]["windows"] == 1

    for _ in refuse_updates(app, device, windows=2):
        app.send(second)
        app.close_windows()
        status = app.status(device)
        assert status is not None
        assert status["runtimeStatus"] == "Failed"
        window = next(e for e in app.host.history(device) if e["EventType"] == 9)  # the child
        assert "IntegrityError" in window["Reason"]
        assert [r["event_id"] for r in app.stored(device)] == [first["eventId"]]
        after = app.record(device)
        assert after is not None
        assert after["body"] == before["body"]  # reverted, as a newer version
        assert after["version"] == before["version"] + 2
