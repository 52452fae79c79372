"""Audit trail: append-only, optimistic concurrency, hash chain, idempotent event ids."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services._time import iso
from services.errors import (
    ConcurrencyConflict,
    IdempotencyMismatch,
    InvalidInput,
    ServiceError,
)
from services.ids import derive_id
from services.records.audit import (
    GENESIS_HASH,
    append,
    append_next,
    audit_trail,
    event_hash,
    list_events,
    verify_chain,
)
from services.testing import fresh_database, sqlite_engine
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
STREAM = "doc-audit"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "app.sqlite"
    fresh_database(path).dispose()
    return path


@pytest.fixture
def engine(path: Path) -> sa.Engine:
    return sqlite_engine(path)


def add(engine: sa.Engine, version: int, name: str, data: Any = None) -> Any:
    return append(
        engine,
        STREAM,
        version,
        event_id=derive_id(STREAM, name),
        event_type=name,
        data=data if data is not None else {"step": name},
        now=T0 + timedelta(minutes=version),
    )


def test_events_chain_in_order(engine: sa.Engine) -> None:
    first = add(engine, 0, "submitted", {"requestedBy": "ann", "n": 1.5, "ok": True})
    second = add(engine, 1, "drafted")
    third = add(engine, 2, "assessed", {"tier": 2, "score": 0.85})
    assert [e.version for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert first.hash == event_hash(
        GENESIS_HASH,
        stream_id=STREAM,
        version=1,
        event_id=first.event_id,
        event_type="submitted",
        data={"requestedBy": "ann", "n": 1.5, "ok": True},
        recorded_at="2026-03-02T09:00:00Z",
    )
    assert [e.type for e in list_events(engine, STREAM)] == ["submitted", "drafted", "assessed"]
    assert list_events(engine, STREAM) == (first, second, third)
    result = verify_chain(engine, STREAM)
    assert result.ok
    assert result.length == 3
    assert result.head == third.hash
    assert to_json(verify_chain(engine, "empty")) == {
        "ok": True,
        "length": 0,
        "head": GENESIS_HASH,
    }


def test_streams_are_independent(engine: sa.Engine) -> None:
    add(engine, 0, "a")
    other = append(engine, "another", 0, event_id="x1", event_type="submitted", data={}, now=T0)
    assert other.version == 1
    assert other.previous_hash == GENESIS_HASH


def test_a_stale_expected_version_is_a_conflict(engine: sa.Engine) -> None:
    add(engine, 0, "submitted")
    add(engine, 1, "drafted")
    with pytest.raises(ConcurrencyConflict) as info:
        add(engine, 1, "assessed")
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert info.value.status == 409
    with pytest.raises(ConcurrencyConflict):
        add(engine, 5, "assessed")  # ahead of the stream is stale too
    assert len(list_events(engine, STREAM)) == 2


def test_the_same_event_id_is_recorded_once(engine: sa.Engine) -> None:
    first = add(engine, 0, "submitted", {"a": [1, 2]})
    # A retried activity repeats the append with its original expected version, later.
    again = append(
        engine,
        STREAM,
        0,
        event_id=first.event_id,
        event_type="submitted",
        data={"a": (1, 2)},
        now=T0 + timedelta(hours=1),
    )
    assert again == first
    add(engine, 1, "drafted")
    assert add(engine, 0, "submitted", {"a": [1, 2]}) == first
    with pytest.raises(IdempotencyMismatch):
        add(engine, 2, "submitted", {"a": [1, 3]})
    with pytest.raises(IdempotencyMismatch):
        append(
            engine,
            "elsewhere",
            0,
            event_id=first.event_id,
            event_type="submitted",
            data={"a": [1, 2]},
            now=T0,
        )
    assert [e.version for e in list_events(engine, STREAM)] == [1, 2]


def test_two_writers_at_the_same_version_exactly_one_wins(path: Path) -> None:
    setup = sqlite_engine(path)
    for i in range(3):
        append(setup, STREAM, i, event_id=f"e{i}", event_type="step", data={}, now=T0)
    rounds = 5
    for round_ in range(rounds):
        expected = 3 + round_
        barrier = threading.Barrier(2)
        results: list[str] = []

        def write(
            writer: int,
            expected: int = expected,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
            round_: int = round_,
        ) -> None:
            engine = sqlite_engine(path)  # each writer its own engine and connection
            barrier.wait()
            try:
                append(
                    engine,
                    STREAM,
                    expected,
                    event_id=f"r{round_}-w{writer}",
                    event_type="vote",
                    data={"writer": writer},
                    now=T0,
                )
                results.append("won")
            except ConcurrencyConflict:
                results.append("conflict")
            except Exception as exc:  # anything else fails the assertion below
                results.append(repr(exc))

        threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["conflict", "won"], results
    events = list_events(setup, STREAM)
    assert [e.version for e in events] == list(range(1, 4 + rounds))
    assert verify_chain(setup, STREAM).ok


def test_append_next_retries_until_every_writer_is_in(path: Path) -> None:
    writers, per_writer = 6, 5

    def write(writer: int) -> None:
        engine = sqlite_engine(path)
        for i in range(per_writer):
            append_next(
                engine,
                STREAM,
                event_id=f"w{writer}-{i}",
                event_type="step",
                data={"writer": writer, "i": i},
                now=T0,
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine = sqlite_engine(path)
    events = list_events(engine, STREAM)
    assert [e.version for e in events] == list(range(1, writers * per_writer + 1))
    assert len({e.event_id for e in events}) == writers * per_writer
    assert verify_chain(engine, STREAM).ok
    # append_next is idempotent on the event id as well.
    assert (
        append_next(
            engine, STREAM, event_id="w0-0", event_type="step", data={"writer": 0, "i": 0}, now=T0
        )
        == events[[e.event_id for e in events].index("w0-0")]
    )


def test_editing_an_event_breaks_the_chain_there(engine: sa.Engine) -> None:
    for i, name in enumerate(["submitted", "drafted", "assessed", "notified"]):
        add(engine, i, name, {"i": i})
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_events SET data = :d WHERE stream_id = :s AND version = 3"),
            {"d": '{"i":99}', "s": STREAM},
        )
    result = verify_chain(engine, STREAM)
    assert not result.ok
    assert result.broken_at == 3
    assert result.reason == "hash does not match the event's content"
    assert to_json(result)["brokenAt"] == 3
    assert set(to_json(result)) == {"ok", "length", "head", "brokenAt", "eventId", "reason"}
    assert result.event_id == derive_id(STREAM, "assessed")


def test_rehashing_an_edited_event_still_breaks_the_next_link(engine: sa.Engine) -> None:
    for i, name in enumerate(["submitted", "drafted", "assessed"]):
        add(engine, i, name)
    second = list_events(engine, STREAM)[1]
    forged = event_hash(
        second.previous_hash,
        stream_id=STREAM,
        version=2,
        event_id=second.event_id,
        event_type="drafted",
        data={"step": "forged"},
        recorded_at=iso(second.recorded_at),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_events SET data = :d, hash = :h WHERE version = 2"),
            {"d": '{"step":"forged"}', "h": forged},
        )
    result = verify_chain(engine, STREAM)
    assert (result.ok, result.broken_at) == (False, 3)
    assert result.reason == "previous hash does not match the event before it"


def test_a_garbled_time_breaks_the_chain_and_is_named(engine: sa.Engine) -> None:
    for i, name in enumerate(["submitted", "drafted"]):
        add(engine, i, name)
    with engine.begin() as conn:  # hashed as stored text: an edit of the time breaks it too
        conn.execute(sa.text("UPDATE audit_events SET recorded_at = 'soon' WHERE version = 2"))
    result = verify_chain(engine, STREAM)
    assert (result.ok, result.broken_at) == (False, 2)
    assert result.reason == "hash does not match the event's content"
    # No time to give a reader of the event: the store is damaged (500), not the request.
    with pytest.raises(ServiceError, match="'soon' is not a timestamp") as caught:
        list_events(engine, STREAM)
    assert caught.value.status == 500


def test_deleting_an_event_is_detected(engine: sa.Engine) -> None:
    for i, name in enumerate(["submitted", "drafted", "assessed"]):
        add(engine, i, name)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE version = 2"))
    result = verify_chain(engine, STREAM)
    assert (result.ok, result.broken_at) == (False, 3)
    assert "missing" in (result.reason or "")


def test_audit_trail_lists_events_with_the_verification(engine: sa.Engine) -> None:
    add(engine, 0, "submitted")
    trail = audit_trail(engine, STREAM)
    assert trail.stream_id == STREAM
    assert [e.type for e in trail.events] == ["submitted"]
    assert trail.events[0].recorded_at == T0
    written = to_json(trail)
    assert written["streamId"] == STREAM
    assert set(written["events"][0]) == {
        "streamId",
        "version",
        "eventId",
        "type",
        "data",
        "recordedAt",
        "previousHash",
        "hash",
    }
    assert written["events"][0]["recordedAt"] == "2026-03-02T09:00:00Z"
    assert trail.verification.ok is True
    assert written["verification"] == {"ok": True, "length": 1, "head": trail.events[0].hash}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"stream_id": ""}, "streamId"),
        ({"event_id": "x" * 65}, "eventId"),
        ({"event_type": ""}, "type"),
        ({"expected_version": -1}, "expectedVersion"),
        ({"expected_version": True}, "expectedVersion"),
        ({"data": {"when": T0}}, "data"),
        ({"data": float("nan")}, "data"),
    ],
)
def test_bad_appends_name_the_field(engine: sa.Engine, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "stream_id": STREAM,
        "expected_version": 0,
        "event_id": "e",
        "event_type": "t",
        "data": {},
        "now": T0,
        **kwargs,
    }
    with pytest.raises(InvalidInput) as info:
        append(engine, args.pop("stream_id"), args.pop("expected_version"), **args)
    assert info.value.field == field
    with pytest.raises(InvalidInput):
        append(
            engine, STREAM, 0, event_id="e", event_type="t", data={}, now=datetime(2026, 1, 1)
        )  # a naive time: its zone would be a guess
