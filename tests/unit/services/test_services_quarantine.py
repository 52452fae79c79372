"""Quarantine: bad messages recorded once with a reason code, listed for the API."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.errors import InvalidInput, NotFound
from services.records.quarantine import (
    QuarantineReceipt,
    get_quarantined,
    list_quarantined,
    quarantine_message,
)
from services.testing import fresh_database
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def put(
    engine: sa.Engine,
    message_id: str,
    reason: str = "schema-invalid",
    body: str | bytes = '{"documentId": 5}',
    minutes: int = 0,
) -> QuarantineReceipt:
    return quarantine_message(
        engine,
        message_id=message_id,
        source="schema-changes",
        reason=reason,
        details={"field": "documentId", "expected": "a uuid string"},
        body=body,
        now=T0 + timedelta(minutes=minutes),
    )


def test_a_message_is_recorded_once(engine: sa.Engine) -> None:
    first = put(engine, "m-1")
    assert first.message.quarantined_at == T0
    assert to_json(first) == {
        "messageId": "m-1",
        "source": "schema-changes",
        "reason": "schema-invalid",
        "details": {"field": "documentId", "expected": "a uuid string"},
        "quarantinedAt": "2026-03-02T09:00:00Z",
        "bodyEncoding": "utf-8",
        "bodyLength": 17,
        "body": '{"documentId": 5}',
        "duplicate": False,
    }
    again = put(engine, "m-1", reason="unknown-database", minutes=3)  # redelivered
    assert to_json(again) == {**to_json(first), "duplicate": True}
    assert list_quarantined(engine).total == 1


def test_listing_newest_first_with_filter_and_paging(engine: sa.Engine) -> None:
    put(engine, "m-1", minutes=1)
    put(engine, "m-2", reason="unknown-database", minutes=2)
    put(engine, "m-3", minutes=3)
    page = list_quarantined(engine)
    assert [m.message_id for m in page.items] == ["m-3", "m-2", "m-1"]
    assert page.items[0].body is None
    assert "body" not in to_json(page)["items"][0]
    assert [m.message_id for m in list_quarantined(engine, reason="schema-invalid").items] == [
        "m-3",
        "m-1",
    ]
    second = list_quarantined(engine, limit=2, offset=2)
    assert [m.message_id for m in second.items] == ["m-1"]
    assert second.total == 3
    assert set(to_json(second)) == {"items", "total", "limit", "offset"}
    with pytest.raises(InvalidInput):
        list_quarantined(engine, limit=0)
    with pytest.raises(InvalidInput):
        list_quarantined(engine, offset=-1)


def test_bodies_are_kept_as_sent(engine: sa.Engine) -> None:
    assert put(engine, "text", body=b"caf\xc3\xa9").message.body == "café"
    raw = b"\xff\xfe not utf-8"
    binary = put(engine, "binary", reason="not-json", body=raw).message
    assert binary.body_encoding == "base64"
    assert base64.b64decode(str(binary.body)) == raw
    assert get_quarantined(engine, "binary").body == binary.body


def test_unknown_message(engine: sa.Engine) -> None:
    with pytest.raises(NotFound):
        get_quarantined(engine, "nope")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message_id", ""),
        ("message_id", "x" * 300),
        ("source", ""),
        ("reason", "Bad Reason"),
        ("reason", ""),
        ("body", 42),
    ],
)
def test_bad_input_names_the_field(engine: sa.Engine, field: str, value: object) -> None:
    args: dict[str, object] = {
        "message_id": "m",
        "source": "q",
        "reason": "schema-invalid",
        "details": {},
        "body": "{}",
        "now": T0,
        field: value,
    }
    with pytest.raises(InvalidInput) as info:
        quarantine_message(engine, **args)  # type: ignore[arg-type]
    assert info.value.field == {"message_id": "messageId"}.get(field, field)
