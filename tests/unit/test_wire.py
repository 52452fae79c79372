"""``wire.to_json``: the one place where the services' dataclasses become the app's JSON."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import InvalidInput
from wire import camel, inline, json_name, omit_none, to_json


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    decided_at: datetime
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Outer:
    document_id: str
    inner: Inner
    colour: Colour
    payload: dict[str, Any]
    self_url: str = field(metadata=json_name("self"))
    ignored_vote: str | None = field(default=None, metadata=omit_none())
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, metadata=inline())


def test_a_dataclass_is_written_in_camel_case_with_its_switches() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    value = Outer(
        document_id="DOC-1",
        inner=Inner(decided_at=at, roles=("dba", "owner")),
        colour=Colour.RED,
        payload={"snake_key": [1, (2, 3)], "inner": Inner(at, ())},
        self_url="http://x/1",
        extra={"tierName": "minor"},
    )
    assert to_json(value) == {
        "documentId": "DOC-1",
        "inner": {"decidedAt": "2026-01-02T01:04:05Z", "roles": ["dba", "owner"]},
        "colour": "red",
        # Mapping keys come from outside and are never renamed; values are still written.
        "payload": {
            "snake_key": [1, [2, 3]],
            "inner": {"decidedAt": "2026-01-02T01:04:05Z", "roles": []},
        },
        "self": "http://x/1",
        "reason": None,  # only fields marked omit_none() disappear
        "tierName": "minor",
    }
    with_vote = Outer("D", Inner(at, ()), Colour.RED, {}, "u", ignored_vote="closed")
    assert to_json(with_vote)["ignoredVote"] == "closed"


@dataclass(frozen=True)
class Receipt:
    inner: Inner = field(metadata=inline())
    duplicate: bool


def test_an_inlined_dataclass_has_its_fields_merged_into_the_object() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_json(Receipt(Inner(at, ("dba",)), duplicate=True)) == {
        "decidedAt": "2026-01-02T03:04:05Z",
        "roles": ["dba"],
        "duplicate": True,
    }


def test_the_field_marks_are_the_ones_services_declare() -> None:
    # Services may not import wire; they mark fields with services._fields, which wire reads.
    from services import _fields

    assert (json_name, omit_none, inline) == (_fields.json_name, _fields.omit_none, _fields.inline)


def test_a_value_that_is_not_json_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="cannot write set"):
        to_json({"a": {1, 2}})


def test_a_naive_datetime_is_refused_rather_than_guessed() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        to_json(datetime(2026, 1, 1))  # naive on purpose


@pytest.mark.parametrize(
    ("name", "expected"),
    [("decided_at", "decidedAt"), ("self", "self"), ("sla_hours", "slaHours"), ("a_b_c", "aBC")],
)
def test_camel(name: str, expected: str) -> None:
    assert camel(name) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_plain_json_passes_through_unchanged(value: Any) -> None:
    assert to_json(value) == value
    json.dumps(to_json(value))


@given(st.datetimes(timezones=st.just(UTC)))
def test_datetimes_are_the_services_iso_text(at: datetime) -> None:
    text = to_json(at)
    assert text.endswith("Z")
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == at
