"""Parsing a device event: what is accepted, and every way a message is refused, by field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingress.device_events import DATA_LIMIT_BYTES, DeviceEvent, parse_device_event
from ingress.schema_changes import BadMessage

GOOD = {
    "eventId": "e-1",
    "deviceId": "dev-1",
    "type": "temperature",
    "occurredAt": "2026-01-05T09:00:00Z",
    "data": {"celsius": 21.5},
}


def refused(body: bytes | str) -> BadMessage:
    with pytest.raises(BadMessage) as caught:
        parse_device_event(body if isinstance(body, bytes) else body.encode())
    return caught.value


def parsed(body: bytes) -> DeviceEvent | BadMessage:
    try:
        return parse_device_event(body)
    except BadMessage as bad:
        return bad


def fields(bad: BadMessage) -> list[str]:
    return [e["field"] for e in bad.details["errors"]]


def test_a_good_event_is_read_as_sent() -> None:
    event = parse_device_event(json.dumps(GOOD).encode())
    assert (event.event_id, event.device_id, event.type, event.occurred_at, event.data) == (
        "e-1",
        "dev-1",
        "temperature",
        "2026-01-05T09:00:00Z",
        {"celsius": 21.5},
    )


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"\xff\xfe{}", b'{"eventId": ', b"[" * 100_000 + b"]" * 100_000]
)
def test_a_body_that_is_not_json_is_malformed_json(body: bytes) -> None:
    bad = refused(body)
    assert bad.reason == "MalformedJson"
    assert bad.details["error"]


def test_every_bad_field_is_named_at_once() -> None:
    bad = refused(
        json.dumps(
            {
                "eventId": "",
                "deviceId": "has space",
                "type": "t\n",
                "occurredAt": "yesterday",
                "data": [1],
                "extra": 1,
            }
        )
    )
    assert bad.reason == "SchemaValidationFailed"
    assert fields(bad) == ["data", "deviceId", "eventId", "extra", "occurredAt", "type"]
    messages = {e["field"]: e["message"] for e in bad.details["errors"]}
    assert "expected the device id" in messages["deviceId"]
    assert "not a field of a device event" in messages["extra"]


def test_missing_fields_are_each_named() -> None:
    bad = refused(json.dumps({"deviceId": "dev-1"}))
    assert fields(bad) == ["data", "eventId", "occurredAt", "type"]
    assert all("is required" in e["message"] for e in bad.details["errors"])


@pytest.mark.parametrize("value", [[], "x", 3, None, True])
def test_a_body_that_is_not_an_object_is_schema_invalid(value: Any) -> None:
    assert fields(refused(json.dumps(value))) == ["(message)"]


@pytest.mark.parametrize(
    "occurred", ["2026-01-05", "2026-01-05T09:00:00", "09:00:00Z", "2026-13-05T09:00:00Z", "x" * 41]
)
def test_occurred_at_needs_a_date_time_with_a_zone(occurred: str) -> None:
    assert fields(refused(json.dumps({**GOOD, "occurredAt": occurred}))) == ["occurredAt"]


def test_lone_surrogates_are_refused_naming_the_place() -> None:
    # Not text: the body cannot be stored or logged as UTF-8, so it is refused as it is read
    # (services.json_input), as every ingress does, with where the surrogate sits.
    body = json.dumps({**GOOD, "data": {"note": "\ud800"}})  # ASCII escapes
    bad = refused(body)
    assert bad.reason == "MalformedJson"
    assert "unpaired surrogate at /data/note" in bad.details["error"]


def test_data_is_bounded_in_size() -> None:
    big = {"blob": "x" * DATA_LIMIT_BYTES}
    bad = refused(json.dumps({**GOOD, "data": big}))
    assert fields(bad) == ["data"]
    parse_device_event(json.dumps({**GOOD, "data": {"blob": "x" * 60_000}}).encode())


@pytest.mark.parametrize("device", ["a", "A-1.b_c-d", "x" * 128])
def test_device_ids_that_are_accepted(device: str) -> None:
    assert parse_device_event(json.dumps({**GOOD, "deviceId": device}).encode()).device_id == (
        device
    )


@pytest.mark.parametrize(
    "device", ["", "-a", "a/b", "a@b", "a#b", "a?b", "x" * 129, "é", "a\n", "a:Process:1"]
)
def test_device_ids_that_would_break_a_session_instance_or_entity_id(device: str) -> None:
    assert fields(refused(json.dumps({**GOOD, "deviceId": device}))) == ["deviceId"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_body_is_either_an_event_or_refused_with_a_known_reason(body: bytes) -> None:
    result = parsed(body)
    if isinstance(result, BadMessage):
        assert result.reason in ("MalformedJson", "SchemaValidationFailed")
        json.dumps(result.details)  # what the quarantine stores must be JSON


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*GOOD, "other"]),
        st.none() | st.integers() | st.text() | st.dictionaries(st.text(), st.text()),
        max_size=6,
    )
)
def test_any_object_is_an_event_or_refused_naming_fields(message: dict[str, Any]) -> None:
    result = parsed(json.dumps(message).encode())
    if isinstance(result, BadMessage):
        assert result.reason == "SchemaValidationFailed"
        assert set(fields(result)) <= {*GOOD, "other"}
    else:
        assert result.device_id == message["deviceId"]
