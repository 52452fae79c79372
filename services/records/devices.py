"""Device events in the app database and the settings of a device's batch window.

Each event is stored once, keyed by its event id, together with the batch (a window of one
workflow run) that stored it: a batch that runs again stores nothing new, and undoing a batch
removes exactly the rows it stored, never an event an earlier batch had already stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from orchestration.timeutil import parse_duration  # the workflow language's durations
from services._fields import inline
from services._time import parse_timestamp, utc
from services.errors import InvalidInput
from services.records import tables
from settings import Settings

__all__ = [
    "BatchSummary",
    "DeviceSettings",
    "RemovedBatch",
    "StoredBatch",
    "StoredDeviceEvent",
    "add_summaries",
    "device_settings",
    "remove_batch",
    "store_events",
    "stored_events",
    "summarise",
]


@dataclass(frozen=True)
class DeviceSettings:
    events_limit: int
    batch_size: int
    batch_window: str
    batch_window_length: timedelta


def _positive(settings: Settings, name: str) -> int:
    text = (settings.get(name) or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(name, f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def device_settings(settings: Settings) -> DeviceSettings:
    """The device settings, each checked; ``InvalidInput`` names a bad one."""
    window = (settings.get("DEVICE_BATCH_WINDOW") or "").strip()
    try:
        length = parse_duration(window)
    except (ValueError, OverflowError) as error:
        raise InvalidInput("DEVICE_BATCH_WINDOW", str(error)) from None
    if length <= timedelta(0):
        raise InvalidInput("DEVICE_BATCH_WINDOW", f"expected a positive duration, got {window!r}")
    return DeviceSettings(
        events_limit=_positive(settings, "DEVICE_EVENTS_LIMIT"),
        batch_size=_positive(settings, "DEVICE_BATCH_SIZE"),
        batch_window=window,
        batch_window_length=length,
    )


# --- storing a batch ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """How many events, of which types, and when the first and last occurred (their
    ``occurredAt`` as the device sent it; None without events). A batch's summary, and the
    run's totals so far (which the workflow carries in its state and hands back in)."""

    device_id: str
    processed: int
    by_type: dict[str, int]  # event type (the device's own text) -> count
    first_at: str | None
    last_at: str | None


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What :func:`store_events` did with a batch: its summary, how many of its events the
    batch owns (``stored``), its last event id and the run's totals with it added."""

    summary: BatchSummary = field(metadata=inline())
    batch_id: str
    stored: int
    last_event_id: str | None
    totals: BatchSummary


@dataclass(frozen=True, slots=True)
class RemovedBatch:
    """How many rows undoing a batch removed."""

    device_id: str
    batch_id: str
    removed: int


@dataclass(frozen=True, slots=True)
class StoredDeviceEvent:
    """A stored device event; ``occurred_at`` as the device sent it, ``data`` its payload."""

    event_id: str
    type: str
    occurred_at: str
    received_at: datetime
    data: dict[str, Any]
    batch_id: str


def store_events(
    engine: Engine,
    *,
    device_id: str,
    batch_id: str,
    events: Sequence[Mapping[str, Any]],
    totals: Mapping[str, Any] | None,
    now: datetime,
) -> StoredBatch:
    """Store the batch's events (one row per event id; an id already stored, by this batch or
    an earlier one, is left as it is) and summarise them.

    The summary's ``processed`` counts the batch's distinct events, ``stored`` those this batch
    owns; ``totals`` adds the batch to ``totals`` (the run's so far, as the workflow kept them).
    """
    unique: dict[str, dict[str, Any]] = {}
    for position, event in enumerate(events):
        checked = _event(event, position, device_id)
        unique.setdefault(checked["eventId"], checked)
    ids = list(unique)
    for attempt in range(1, 4):
        try:
            known, fresh = _insert_new(engine, device_id, batch_id, unique, now)
            break
        except IntegrityError:
            # The same batch ran twice at once (activities run at least once): look again.
            if attempt == 3:
                raise
    owned = len(fresh) + sum(1 for b in known.values() if b == batch_id)
    summary = summarise(device_id, list(unique.values()))
    return StoredBatch(
        summary=summary,
        batch_id=batch_id,
        stored=owned,
        last_event_id=ids[-1] if ids else None,
        totals=add_summaries(totals, summary),
    )


def _insert_new(
    engine: Engine,
    device_id: str,
    batch_id: str,
    unique: Mapping[str, Mapping[str, Any]],
    now: datetime,
) -> tuple[dict[str, str], list[Mapping[str, Any]]]:
    """Insert the events not stored yet; returns (stored id -> its batch, the new ones)."""
    table = tables.device_events
    ids = list(unique)
    with engine.begin() as conn:
        known = {
            row[0]: row[1]
            for start in range(0, len(ids), 500)
            for row in conn.execute(
                sa.select(table.c.event_id, table.c.batch_id).where(
                    table.c.event_id.in_(ids[start : start + 500])
                )
            )
        }
        fresh = [e for e in unique.values() if e["eventId"] not in known]
        if fresh:
            conn.execute(
                sa.insert(table),
                [
                    {
                        "event_id": e["eventId"],
                        "device_id": device_id,
                        "event_type": e["type"],
                        "occurred_at": e["occurredAt"],
                        "received_at": e["receivedAtTime"],
                        "data": e["data"],
                        "batch_id": batch_id,
                        "stored_at": utc(now),
                    }
                    for e in fresh
                ],
            )
    return known, fresh


def remove_batch(engine: Engine, *, device_id: str, batch_id: str) -> RemovedBatch:
    """Remove exactly the rows the batch stored (the compensation of ``store_events``)."""
    table = tables.device_events
    with engine.begin() as conn:
        removed = conn.execute(
            sa.delete(table).where(table.c.batch_id == batch_id, table.c.device_id == device_id)
        ).rowcount
    return RemovedBatch(device_id, batch_id, removed)


def stored_events(engine: Engine, device_id: str) -> tuple[StoredDeviceEvent, ...]:
    """The device's stored events, in the order they were received."""
    table = tables.device_events
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(table)
                .where(table.c.device_id == device_id)
                .order_by(table.c.received_at, table.c.event_id)
            )
            .mappings()
            .all()
        )
    return tuple(
        StoredDeviceEvent(
            event_id=r["event_id"],
            type=r["event_type"],
            occurred_at=r["occurred_at"],
            received_at=r["received_at"],
            data=r["data"],
            batch_id=r["batch_id"],
        )
        for r in rows
    )


def summarise(device_id: str, events: Sequence[Mapping[str, Any]]) -> BatchSummary:
    """The summary of checked events: the first and last times are when the events
    occurred."""
    by_type: dict[str, int] = {}
    for event in events:
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1
    moments = sorted((e["occurredAtTime"], e["occurredAt"]) for e in events)
    return BatchSummary(
        device_id=device_id,
        processed=len(events),
        by_type=by_type,
        first_at=moments[0][1] if moments else None,
        last_at=moments[-1][1] if moments else None,
    )


def add_summaries(totals: Mapping[str, Any] | None, batch: BatchSummary) -> BatchSummary:
    """The run's totals after one more batch. ``totals`` is the workflow's own JSON (the
    ``totals`` of the previous batch's result, carried in its state), read here as it is."""
    if not totals:
        return batch
    if not isinstance(totals, Mapping) or not isinstance(totals.get("byType"), Mapping):
        raise InvalidInput("totals", "expected the summary of the run so far")
    by_type = dict(totals["byType"])
    for name, count in batch.by_type.items():
        by_type[name] = by_type.get(name, 0) + count
    firsts = [t for t in (totals.get("firstAt"), batch.first_at) if t]
    lasts = [t for t in (totals.get("lastAt"), batch.last_at) if t]
    return BatchSummary(
        device_id=batch.device_id,
        processed=int(totals.get("processed", 0)) + batch.processed,
        by_type=by_type,
        first_at=min(firsts, key=_moment) if firsts else None,
        last_at=max(lasts, key=_moment) if lasts else None,
    )


def _moment(text: str) -> datetime:
    return parse_timestamp(text, "occurredAt")


def _event(value: Any, position: int, device_id: str) -> dict[str, Any]:
    where = f"events[{position}]"
    if not isinstance(value, Mapping):
        raise InvalidInput(where, "expected an event object")
    for name in ("eventId", "type", "occurredAt", "receivedAt"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise InvalidInput(f"{where}.{name}", "expected a non-empty string")
    if value.get("deviceId", device_id) != device_id:
        raise InvalidInput(f"{where}.deviceId", f"expected {device_id!r}")
    if not isinstance(value.get("data", {}), Mapping):
        raise InvalidInput(f"{where}.data", "expected an object")
    return {
        **value,
        "data": dict(value.get("data", {})),
        "occurredAtTime": parse_timestamp(value["occurredAt"], f"{where}.occurredAt"),
        "receivedAtTime": parse_timestamp(value["receivedAt"], f"{where}.receivedAt"),
    }
