"""Device batches and sync runs: what the services compute, and the JSON their activities
write of it (``wire.to_json``), pinned to the shapes the workflows read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.errors import IdempotencyMismatch, InvalidInput
from services.records.devices import (
    BatchSummary,
    add_summaries,
    remove_batch,
    store_events,
    stored_events,
)
from services.records.sync_runs import record_sync_run
from services.testing import fresh_database
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def event(event_id: str, kind: str, occurred: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": kind,
        "occurredAt": occurred,
        "receivedAt": "2026-03-02T09:00:05Z",
        "data": {"v": 1},
        **extra,
    }


def test_a_batch_is_stored_once_and_summarised(engine: sa.Engine) -> None:
    events = [
        event("e1", "temp", "2026-03-02T09:00:03+01:00"),  # 08:00:03Z: the first
        event("e2", "door", "2026-03-02T08:30:00Z"),
        event("e1", "temp", "2026-03-02T09:00:03+01:00"),  # a repeat within the batch
    ]
    stored = store_events(engine, device_id="d1", batch_id="b1", events=events, totals=None, now=T0)
    assert to_json(stored) == {
        "deviceId": "d1",
        "processed": 2,
        "byType": {"temp": 1, "door": 1},
        "firstAt": "2026-03-02T09:00:03+01:00",  # as the device sent it
        "lastAt": "2026-03-02T08:30:00Z",
        "batchId": "b1",
        "stored": 2,
        "lastEventId": "e2",
        "totals": {
            "deviceId": "d1",
            "processed": 2,
            "byType": {"temp": 1, "door": 1},
            "firstAt": "2026-03-02T09:00:03+01:00",
            "lastAt": "2026-03-02T08:30:00Z",
        },
    }
    assert stored.totals == stored.summary
    # The batch again (an activity runs at least once): nothing new, the same answer.
    assert (
        store_events(engine, device_id="d1", batch_id="b1", events=events, totals=None, now=T0)
        == stored
    )
    # A later batch owns only what it stored itself; the totals are the workflow's, added to.
    later = store_events(
        engine,
        device_id="d1",
        batch_id="b2",
        events=[
            event("e2", "door", "2026-03-02T08:30:00Z"),
            event("e3", "door", "2026-03-02T10:00:00Z"),
        ],
        totals=to_json(stored.totals),
        now=T0 + timedelta(minutes=5),
    )
    assert (later.summary.processed, later.stored) == (2, 1)
    assert to_json(later.totals) == {
        "deviceId": "d1",
        "processed": 4,
        "byType": {"temp": 1, "door": 3},
        "firstAt": "2026-03-02T09:00:03+01:00",
        "lastAt": "2026-03-02T10:00:00Z",
    }
    assert [e.event_id for e in stored_events(engine, "d1")] == ["e1", "e2", "e3"]
    assert stored_events(engine, "d1")[0].received_at == datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    removed = remove_batch(engine, device_id="d1", batch_id="b2")
    assert to_json(removed) == {"deviceId": "d1", "batchId": "b2", "removed": 1}
    assert [e.event_id for e in stored_events(engine, "d1")] == ["e1", "e2"]


def test_an_empty_batch_has_no_first_or_last_time(engine: sa.Engine) -> None:
    stored = store_events(engine, device_id="d1", batch_id="b0", events=[], totals=None, now=T0)
    assert (stored.summary.first_at, stored.summary.last_at, stored.last_event_id) == (
        None,
        None,
        None,
    )
    assert to_json(stored)["firstAt"] is None  # null, as before: not left out


@pytest.mark.parametrize("totals", [{"processed": 1}, {"byType": ["x"]}, {"byType": "x"}])
def test_totals_that_are_not_a_summary_are_refused(totals: dict[str, Any]) -> None:
    batch = BatchSummary("d1", 1, {"t": 1}, "2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z")
    with pytest.raises(InvalidInput) as caught:
        add_summaries(totals, batch)
    assert caught.value.field == "totals"


def test_a_sync_run_is_recorded_once_and_compared_with_the_last(engine: sa.Engine) -> None:
    def run(instance: str, rows: int, minutes: int) -> Any:
        return record_sync_run(
            engine,
            instance_id=instance,
            database="warehouse",
            physical_name="sales.orders",
            row_count=rows,
            at=T0 + timedelta(minutes=minutes),
        )

    first = run("i1", 10, 0)
    assert to_json(first) == {
        "database": "warehouse",
        "physicalName": "sales.orders",
        "rowCount": 10,
        "previousRowCount": None,
        "change": None,
        "runAt": "2026-03-02T09:00:00Z",
    }
    second = run("i2", 7, 15)
    assert (second.previous_row_count, second.change, second.run_at) == (
        10,
        -3,
        T0 + timedelta(minutes=15),
    )
    assert run("i2", 7, 20) == second  # a retried step: recorded once, answered the same
    with pytest.raises(IdempotencyMismatch):
        run("i2", 8, 15)
    with pytest.raises(InvalidInput) as caught:
        run("i3", True, 30)  # type: ignore[arg-type]
    assert caught.value.field == "rowCount"
