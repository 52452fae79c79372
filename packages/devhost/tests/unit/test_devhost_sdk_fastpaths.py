"""devhost's fast paths inside the SDK's replay compute exactly what the SDK would."""

from __future__ import annotations

import collections
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.parser import ParserError
from dateutil.parser import parse as dateutil_parse
from hypothesis import given
from hypothesis import strategies as st

from devhost._sqlite import to_ts
from devhost.durable import sdk_fastpaths


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)))
def test_the_devhost_form_parses_to_what_dateutil_gives(moment: datetime) -> None:
    text = to_ts(moment.replace(tzinfo=UTC))
    fast, slow = sdk_fastpaths.parse_timestamp(text), dateutil_parse(text)
    assert fast == slow
    assert type(fast.tzinfo) is type(slow.tzinfo)
    assert fast.utcoffset() == slow.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T04:40:00Z",  # no fraction
        "2026-11-22T04:40:00.1234567Z",  # the extension's seven digits
        "2026-11-22T04:40:00.123456+02:00",  # an offset
        "2026-11-22 04:40:00.123456Z",  # a space
        "22 Nov 2026 04:40",  # not ISO at all
    ],
)
def test_every_other_form_goes_to_dateutil(text: str) -> None:
    assert sdk_fastpaths.parse_timestamp(text) == dateutil_parse(text)


def test_an_impossible_date_fails_as_dateutil_fails() -> None:
    with pytest.raises(ParserError, match="day is out of range"):
        sdk_fastpaths.parse_timestamp("2026-02-30T00:00:00.000000Z")


def test_namedtuple_once_builds_one_class_per_name_and_fields() -> None:
    first = sdk_fastpaths.namedtuple_once("Payload", ("is_success", "task_id_key"))
    again = sdk_fastpaths.namedtuple_once("Payload", ("is_success", "task_id_key"))
    other = sdk_fastpaths.namedtuple_once("Payload", ("a",))
    assert first is again and first is not other
    assert first(True, "TimerId") == (True, "TimerId") and first._fields == (
        "is_success",
        "task_id_key",
    )
    # Anything but a tuple of names is built afresh, exactly as collections does.
    assert sdk_fastpaths.namedtuple_once("P", "a b")._fields == ("a", "b")


def test_install_is_active_for_the_pinned_sdk_and_idempotent() -> None:
    sdk_fastpaths.install()
    sdk_fastpaths.install()
    assert sdk_fastpaths.installed() == [
        "azure.durable_functions.models.history.HistoryEvent.dt_parse",
        "azure.durable_functions.models.TaskOrchestrationExecutor.namedtuple",
    ]
    from azure.durable_functions.models.history.HistoryEvent import HistoryEvent

    event = HistoryEvent(
        EventType=12, EventId=-1, IsPlayed=True, Timestamp="2026-11-22T04:40:00.123456Z"
    )
    assert event.timestamp == dateutil_parse("2026-11-22T04:40:00.123456Z")
    assert collections.namedtuple is not sdk_fastpaths.namedtuple_once  # only the SDK's name


def test_uninstall_restores_the_sdk_and_install_comes_back() -> None:
    sdk_fastpaths.uninstall()
    try:
        assert sdk_fastpaths.installed() == []
    finally:
        sdk_fastpaths.install()
    assert len(sdk_fastpaths.installed()) == 2
