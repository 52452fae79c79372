"""The device entity: its log rules against a model (hypothesis), and the entity function
itself through the Durable SDK's own entity handle, as the host calls it."""

from __future__ import annotations

import json
import re
from typing import Any

import azure.durable_functions as df
import pytest
from devhost.replay import SimulatedHost
from hypothesis import given, settings
from hypothesis import strategies as st

import entities
from entities import device_log


def event(event_id: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": "t",
        "occurredAt": f"2026-01-05T09:00:{n % 60:02d}Z",
        "receivedAt": f"2026-01-05T09:01:{n % 60:02d}Z",
        "data": {"n": n},
        **extra,
    }


# --- the log against a model --------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from("abcdefghij")),
        st.tuples(st.just("clear_up_to"), st.sampled_from("abcdefghij")),
        st.tuples(st.just("clear_all"), st.none()),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations, st.integers(min_value=1, max_value=6))
def test_the_log_matches_a_model_of_its_rules(steps: list[tuple[str, Any]], limit: int) -> None:
    state = device_log.new_state("dev-1")
    held: list[str] = []  # the model: held ids in order, and ids that left the log
    left: list[str] = []
    total = duplicates = dropped = 0
    for n, (kind, event_id) in enumerate(steps):
        if kind == "record":
            recorded = device_log.record_event(state, event(event_id, n), limit)
            if event_id in held or event_id in left[-limit:]:
                duplicates += 1
                assert recorded.duplicate
            else:
                assert not recorded.duplicate
                total += 1
                held.append(event_id)
                if len(held) > limit:
                    left.append(held.pop(0))
                    dropped += 1
            state = recorded.state
        else:
            up_to = {"upTo": event_id} if kind == "clear_up_to" else None
            state, cleared = device_log.clear(state, up_to, limit)
            cut = (held.index(event_id) + 1 if event_id in held else 0) if up_to else len(held)
            assert cleared == cut
            left.extend(held[:cut])
            held = held[cut:]
        assert [e["eventId"] for e in state["events"]] == held
        assert len(state["events"]) <= limit
        assert (state["totalReceived"], state["duplicates"], state["dropped"]) == (
            total,
            duplicates,
            dropped,
        )
        assert len(state["recentEventIds"]) <= limit


def test_functions_never_change_the_state_they_are_given() -> None:
    state = device_log.new_state("dev-1")
    state = device_log.record_event(state, event("a"), 2).state
    frozen = json.dumps(state, sort_keys=True)
    device_log.record_event(state, event("b"), 2)
    device_log.record_event(state, event("a"), 2)
    device_log.clear(state, None, 2)
    assert json.dumps(state, sort_keys=True) == frozen


def test_first_and_last_activity_are_the_received_times() -> None:
    state = device_log.new_state("d")
    for n, event_id in enumerate("abc"):
        state = device_log.record_event(state, event(event_id, n), 10).state
    assert (state["firstActivity"], state["lastActivity"]) == (
        "2026-01-05T09:01:00Z",
        "2026-01-05T09:01:02Z",
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, "(input)"),
        ("a", "(input)"),
        ({**event("a"), "eventId": ""}, "eventId"),
        ({**event("a"), "type": 3}, "type"),
        ({**event("a"), "receivedAt": None}, "receivedAt"),
        ({**event("a"), "data": [1]}, "data"),
    ],
)
def test_a_bad_event_names_its_field(value: Any, field: str) -> None:
    with pytest.raises(
        device_log.DeviceInputInvalid,
        match=rf"^Device\.InputInvalid: record_event: {re.escape(field)}:",
    ):
        device_log.record_event(device_log.new_state("d"), value, 10)


# --- the entity function, through the SDK's handle ------------------------------------------


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> SimulatedHost:
    monkeypatch.setenv("DEVICE_EVENTS_LIMIT", "3")
    app = df.DFApp()
    app.register_functions(entities.blueprint)
    return SimulatedHost.from_app(app)


def op(host: SimulatedHost, operation: str, value: Any = None, key: str = "dev-1") -> Any:
    response = host.run_entity_operation(
        f"@device@{key}", operation, json.dumps(value), signal=False
    )
    result = json.loads(response["result"])
    if "exceptionType" in response:
        raise RuntimeError(result)
    return result


def test_each_operation_of_the_entity(host: SimulatedHost) -> None:
    assert op(host, "record_event", event("a", 1)) == {
        "recorded": True,
        "duplicate": False,
        "held": 1,
    }
    assert op(host, "record_event", event("a", 1))["duplicate"] is True
    for n, event_id in enumerate("bcde", start=2):
        op(host, "record_event", event(event_id, n))

    state = op(host, "get_state")
    assert [e["eventId"] for e in state["events"]] == ["c", "d", "e"]  # limit 3: a, b dropped
    assert (state["totalReceived"], state["duplicates"], state["dropped"]) == (5, 1, 2)
    assert state["deviceId"] == "dev-1"
    assert "recentEventIds" not in state
    assert op(host, "record_event", event("a"))["duplicate"] is True  # dropped, still known
    assert [e["eventId"] for e in op(host, "get_events", {"limit": 2})] == ["c", "d"]

    assert op(host, "clear", {"upTo": "d"}) == {"cleared": 2, "remaining": 1}
    assert op(host, "clear", {"upTo": "d"}) == {"cleared": 0, "remaining": 1}  # repeated
    assert [e["eventId"] for e in op(host, "get_events")] == ["e"]
    assert op(host, "get_state", key="dev-2")["totalReceived"] == 0  # keys are separate

    assert op(host, "delete") is None
    assert host.entity_state("device", "dev-1") is None
    assert op(host, "record_event", event("c"))["recorded"] is True  # a new entity


def test_a_failed_operation_is_named_and_leaves_the_state_as_it_was(host: SimulatedHost) -> None:
    op(host, "record_event", event("a"))
    before = host.entity_state("device", "dev-1")
    with pytest.raises(RuntimeError, match=r"^Device\.InputInvalid: record_event: eventId"):
        op(host, "record_event", {"eventId": 7})
    with pytest.raises(RuntimeError, match=r"^Device\.InputInvalid: clear: upTo"):
        op(host, "clear", {"upTo": ""})
    with pytest.raises(RuntimeError, match=r"^Device\.UnknownOperation: 'reset'"):
        op(host, "reset")
    assert host.entity_state("device", "dev-1") == before


def test_a_bad_limit_setting_fails_the_operation_naming_the_setting(
    host: SimulatedHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVICE_EVENTS_LIMIT", "lots")
    with pytest.raises(RuntimeError, match="DEVICE_EVENTS_LIMIT: expected a whole number"):
        op(host, "record_event", event("a"))
    assert host.entity_state("device", "dev-1") is None


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=20,
    ),
    st.text(min_size=1),
)
def test_odd_text_and_data_survive_the_round_trip(data: Any, event_id: str) -> None:
    host = SimulatedHost.from_app(_app())
    value = {**event(event_id), "type": "\u0000<b>\r\n", "data": {"x": data}}
    op(host, "record_event", value, key="odd\u2028key")
    [held] = op(host, "get_events", key="odd\u2028key")
    assert held == value


def _app() -> Any:
    app = df.DFApp()
    app.register_functions(entities.blueprint)
    return app


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from("abcdefg"), max_size=12),
    st.lists(st.sampled_from("abcdefghij"), max_size=12),
    st.integers(1, 5),
)
def test_record_events_is_record_event_for_each(
    before: list[str], batch: list[str], limit: int
) -> None:
    state = device_log.new_state("d")
    for n, event_id in enumerate(before):
        state = device_log.record_event(state, event(event_id, n), limit).state
    one_by_one = state
    for n, event_id in enumerate(batch):
        one_by_one = device_log.record_event(one_by_one, event(event_id, n), limit).state
    together = device_log.record_events(state, [event(i, n) for n, i in enumerate(batch)], limit)
    assert together.state == one_by_one
    assert together.recorded + together.duplicates == len(batch)


def test_record_events_checks_every_event_before_recording_any(host: SimulatedHost) -> None:
    with pytest.raises(RuntimeError, match=r"^Device\.InputInvalid: record_event: eventId"):
        op(host, "record_events", [event("a"), {"eventId": ""}])
    assert host.entity_state("device", "dev-1") is None
    assert op(host, "record_events", [event("a"), event("b"), event("a")]) == {
        "recorded": 2,
        "duplicates": 1,
        "held": 2,
    }
    with pytest.raises(RuntimeError, match=r"^Device\.InputInvalid: record_events"):
        op(host, "record_events", {"not": "a list"})
