"""A device's event log: what the ``device`` entity holds, as plain functions over its state.

The log is bounded, de-duplicated and ordered: events are kept oldest first in the order they
were recorded (the session's order), an event id already held or recently seen is counted as a
duplicate and not kept twice, and beyond ``limit`` events the oldest are dropped and counted.
"Recently seen" covers the ids that left the log (cleared or dropped), the newest ``limit`` of
them, so a redelivery after a clear is still recognised.

Every function returns a new state and never changes the one it was given: the Durable SDK
keeps whatever state object an operation left behind, even when the operation then raised, so
an operation must only hand over its state once it has succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_FIELDS",
    "DeviceInputInvalid",
    "Recorded",
    "clear",
    "events",
    "new_state",
    "public_state",
    "record_event",
    "record_events",
]

EVENT_FIELDS = ("eventId", "type", "occurredAt", "receivedAt", "data")
_COUNTERS = ("totalReceived", "duplicates", "dropped")


class DeviceInputInvalid(ValueError):
    """An operation's input is not what it expects. The message starts with the error name,
    because an entity's exception reaches a workflow only as its message."""

    def __init__(self, operation: str, field: str, expected: str) -> None:
        super().__init__(f"Device.InputInvalid: {operation}: {field}: {expected}")


@dataclass(frozen=True)
class Recorded:
    """What ``record_event`` did: the new state, and whether the event was new."""

    state: dict[str, Any]
    duplicate: bool


def new_state(device_id: str) -> dict[str, Any]:
    return {
        "deviceId": device_id,
        "events": [],
        "totalReceived": 0,
        "duplicates": 0,
        "dropped": 0,
        "firstActivity": None,
        "lastActivity": None,
        "recentEventIds": [],
    }


def _event(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise DeviceInputInvalid(
            "record_event",
            "(input)",
            "expected an event object {eventId, type, occurredAt, receivedAt, data}",
        )
    for name in ("eventId", "type", "occurredAt", "receivedAt"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise DeviceInputInvalid("record_event", name, "expected a non-empty string")
    if not isinstance(value.get("data", {}), Mapping):
        raise DeviceInputInvalid("record_event", "data", "expected an object")
    return {
        "eventId": value["eventId"],
        "type": value["type"],
        "occurredAt": value["occurredAt"],
        "receivedAt": value["receivedAt"],
        "data": dict(value.get("data", {})),
    }


def _remember(recent: list[str], ids: list[str], limit: int) -> list[str]:
    merged = recent + ids
    return merged[-limit:] if len(merged) > limit else merged


def record_event(state: Mapping[str, Any], value: Any, limit: int) -> Recorded:
    """Append the event (``receivedAt`` is when it was received); a known id is a duplicate."""
    event = _event(value)
    held = state["events"]
    event_id = event["eventId"]
    if event_id in state["recentEventIds"] or any(e["eventId"] == event_id for e in held):
        return Recorded({**state, "duplicates": state["duplicates"] + 1}, duplicate=True)
    kept = [*held, event]
    overflow = max(0, len(kept) - limit)
    dropped_ids = [e["eventId"] for e in kept[:overflow]]
    return Recorded(
        {
            **state,
            "events": kept[overflow:],
            "totalReceived": state["totalReceived"] + 1,
            "dropped": state["dropped"] + overflow,
            "firstActivity": state["firstActivity"] or event["receivedAt"],
            "lastActivity": event["receivedAt"],
            "recentEventIds": _remember(state["recentEventIds"], dropped_ids, limit),
        },
        duplicate=False,
    )


@dataclass(frozen=True)
class RecordedMany:
    """What ``record_events`` did: the new state, how many were new and how many known."""

    state: dict[str, Any]
    recorded: int
    duplicates: int


def record_events(state: Mapping[str, Any], values: list[Any], limit: int) -> RecordedMany:
    """``record_event`` for each event, in order (one operation for events that arrived
    together); every event is checked before any is recorded."""
    for value in values:
        _event(value)
    current = dict(state)
    recorded = 0
    for value in values:
        step = record_event(current, value, limit)
        current, recorded = step.state, recorded + (not step.duplicate)
    return RecordedMany(current, recorded=recorded, duplicates=len(values) - recorded)


def events(state: Mapping[str, Any], value: Any) -> list[dict[str, Any]]:
    """The held events, oldest first; ``{"limit": n}`` gives only the oldest ``n``."""
    options = {} if value is None else value
    if not isinstance(options, Mapping):
        raise DeviceInputInvalid("get_events", "(input)", 'expected null or {"limit": n}')
    limit = options.get("limit")
    if limit is None:
        return list(state["events"])
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise DeviceInputInvalid("get_events", "limit", "expected a whole number, 0 or more")
    return list(state["events"][:limit])


def clear(state: Mapping[str, Any], value: Any, limit: int) -> tuple[dict[str, Any], int]:
    """Remove every held event, or with ``{"upTo": eventId}`` those up to and including that
    one (events recorded after it are kept). An ``upTo`` no longer held clears nothing, so a
    repeated clear is harmless. Returns the new state and how many events were removed."""
    options = {} if value is None else value
    if not isinstance(options, Mapping):
        raise DeviceInputInvalid("clear", "(input)", 'expected null or {"upTo": eventId}')
    up_to = options.get("upTo")
    held = state["events"]
    if up_to is None:
        cut = len(held)
    elif not isinstance(up_to, str) or not up_to:
        raise DeviceInputInvalid("clear", "upTo", "expected an event id (a non-empty string)")
    else:
        cut = next((i + 1 for i, e in enumerate(held) if e["eventId"] == up_to), 0)
    removed = [e["eventId"] for e in held[:cut]]
    return {
        **state,
        "events": held[cut:],
        "recentEventIds": _remember(state["recentEventIds"], removed, limit),
    }, cut


def public_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """The state as ``get_state`` answers it (without the bookkeeping of recent ids)."""
    return {
        "deviceId": state["deviceId"],
        "events": list(state["events"]),
        **{name: state[name] for name in _COUNTERS},
        "firstActivity": state["firstActivity"],
        "lastActivity": state["lastActivity"],
    }
