"""Activities of the device-events workflows: open a batch window, store a batch of events in
the app database (a row per event id) and its compensation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from runtime import runtime
from services import iso, parse_timestamp
from services.errors import InvalidInput
from services.records.devices import device_settings, remove_batch, store_events
from wire import to_json

from ._blueprint import blueprint

__all__ = ["open_device_window", "process_device_events", "remove_device_events"]


def _input(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput("input", f"expected a JSON object, got {type(value).__name__}")
    return value


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(name, "expected a non-empty string")
    return value


def _at(data: Mapping[str, Any]) -> datetime:
    value = data.get("at")
    return datetime.now(UTC) if value is None else parse_timestamp(value, "at")


@blueprint.activity_trigger(input_name="request")
def open_device_window(request: Any) -> dict[str, Any]:
    """The window's batch size, how many more events it awaits (beyond ``received``, the ones
    counted already) and its closing time (``at`` + DEVICE_BATCH_WINDOW): the settings are read
    once, when the window opens."""
    data = _input(request)
    current = device_settings(runtime().settings)
    opens = parse_timestamp(data.get("at"), "at")
    received = data.get("received", 0)
    if not isinstance(received, int) or isinstance(received, bool) or received < 0:
        raise InvalidInput("received", "expected a whole number, 0 or more")
    return {
        "deviceId": _text(data, "deviceId"),
        "batchSize": current.batch_size,
        "awaiting": max(0, current.batch_size - received),
        "window": current.batch_window,
        "opensAt": iso(opens),
        "closesAt": iso(opens + current.batch_window_length),
    }


@blueprint.activity_trigger(input_name="batch")
def process_device_events(batch: Any) -> dict[str, Any]:
    """Store the events read from the device's entity (once per event id) and summarise them,
    adding them to the run's ``totals``. Compensation: ``remove_device_events``."""
    data = _input(batch)
    events = data.get("events")
    if not isinstance(events, list):
        raise InvalidInput("events", "expected the list of events read from the entity")
    totals = data.get("totals")
    stored = store_events(
        runtime().adapters.database,
        device_id=_text(data, "deviceId"),
        batch_id=_text(data, "batchId"),
        events=events,
        totals=totals if isinstance(totals, Mapping) else None,
        now=_at(data),
    )
    return to_json(stored)


@blueprint.activity_trigger(input_name="batch")
def remove_device_events(batch: Any) -> dict[str, Any]:
    """Compensation of ``process_device_events``: remove exactly the rows the batch stored."""
    data = _input(batch)
    removed = remove_batch(
        runtime().adapters.database,
        device_id=_text(data, "deviceId"),
        batch_id=_text(data, "batchId"),
    )
    return to_json(removed)
