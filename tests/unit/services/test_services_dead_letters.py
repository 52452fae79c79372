"""Dead letters: recorded once per queue and sequence number, listed without bodies, claimed
once for a resubmission; and the JSON the API writes of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.errors import Conflict, NotFound
from services.records.dead_letters import (
    DeadLetterReceipt,
    abort_resubmission,
    finish_resubmission,
    get_dead_letter,
    list_dead_letters,
    record_dead_letter,
    start_resubmission,
)
from services.testing import fresh_database
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def put(engine: sa.Engine, sequence: int, body: bytes = b'{"a": 1}') -> DeadLetterReceipt:
    return record_dead_letter(
        engine,
        source="device-events",
        message_id=f"m-{sequence}",
        sequence_number=sequence,
        session_id="dev-1",
        correlation_id=None,
        reason="MaxDeliveryCountExceeded",
        description=None,
        delivery_count=10,
        enqueued_at=None,
        body=body,
        properties={"kind": "x"},
        now=T0 + timedelta(minutes=sequence),
    )


def test_a_dead_letter_is_recorded_once_and_written_as_before(engine: sa.Engine) -> None:
    first = put(engine, 1)
    assert (first.duplicate, first.dead_letter.recorded_at) == (False, T0 + timedelta(minutes=1))
    assert to_json(first) == {
        "id": first.dead_letter.id,
        "source": "device-events",
        "messageId": "m-1",
        "sequenceNumber": 1,
        "sessionId": "dev-1",
        "correlationId": None,
        "reason": "MaxDeliveryCountExceeded",
        "description": "",
        "deliveryCount": 10,
        "enqueuedAt": None,
        "recordedAt": "2026-03-02T09:01:00Z",
        "applicationProperties": {"kind": "x"},
        "bodyEncoding": "utf-8",
        "bodyLength": 8,
        "resubmittedAt": None,
        "resubmitOutcome": None,
        "duplicate": False,
    }
    again = put(engine, 1)
    assert again.duplicate is True
    assert to_json(again) == {**to_json(first), "duplicate": True}
    assert get_dead_letter(engine, first.dead_letter.id).body == '{"a": 1}'


def test_listing_is_newest_first_without_bodies_with_counts(engine: sa.Engine) -> None:
    for sequence in (1, 2, 3):
        put(engine, sequence, body=b"\xff not utf-8" if sequence == 2 else b"{}")
    page = list_dead_letters(engine, limit=2)
    assert [d.message_id for d in page.items] == ["m-3", "m-2"]
    assert page.items[1].body_encoding == "base64"
    assert (page.total, page.limit, page.offset) == (3, 2, 0)
    written = to_json(page)
    assert set(written) == {"items", "total", "counts", "limit", "offset"}
    assert "body" not in written["items"][0]
    assert written["counts"] == [
        {"source": "device-events", "reason": "MaxDeliveryCountExceeded", "count": 3}
    ]


def test_a_resubmission_claims_the_dead_letter_once(engine: sa.Engine) -> None:
    dead_letter_id = put(engine, 1).dead_letter.id
    claimed = start_resubmission(engine, dead_letter_id, T0)
    assert (claimed.body, claimed.resubmitted_at) == ('{"a": 1}', T0)
    assert claimed.resubmit_outcome == {"action": "in-progress"}
    with pytest.raises(Conflict, match="resubmitted at 2026-03-02T09:00:00Z"):
        start_resubmission(engine, dead_letter_id, T0)
    abort_resubmission(engine, dead_letter_id)
    start_resubmission(engine, dead_letter_id, T0)  # given back: it may be tried again
    done = finish_resubmission(engine, dead_letter_id, {"action": "started", "instanceId": "i"})
    assert done.resubmit_outcome == {"action": "started", "instanceId": "i"}
    assert "body" not in to_json(done)
    with pytest.raises(NotFound):
        start_resubmission(engine, "nope", T0)
