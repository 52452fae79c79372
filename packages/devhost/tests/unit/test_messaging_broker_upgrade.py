"""The broker file of an older devhost (times as epoch REALs, user_version 0) is upgraded once at
open to text times, in one transaction, and every message comes out as it would have before:
same order, same properties, scheduled ones at their time, locks and time to live intact."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devhost._sqlite import LAST, from_ts, to_ts
from devhost.messaging import _db
from devhost.messaging._db import SCHEMA_VERSION, connect
from devhost.messaging.errors import BrokerFileError
from devhost.messaging.servicebus import OutgoingMessage, ServiceBusBroker
from devhost.messaging.storage_queues import StorageQueues
from helpers.broker import StepClock, make_config
from helpers.broker_v0 import epoch, sb_row, sq_row, write_v0

T = datetime(2026, 1, 1, tzinfo=UTC)
# Times with a fraction of a second, as a real clock gives them: the upgrade keeps each to
# the microsecond the old code read it as.
ENQUEUED = T - timedelta(seconds=60, microseconds=123457)
LOCKED_UNTIL = T + timedelta(seconds=20, microseconds=1)
SCHEDULED = T + timedelta(seconds=120, microseconds=500000)
EXPIRES = ENQUEUED + timedelta(hours=1)
PROPS = {
    "correlation_id": "c-1",
    "content_type": "application/json",
    "application_properties": {"n": 1, "colour": "red"},
    "time_to_live": 3600.0,
}


def write_old_file(path: Path) -> None:
    """Active, locked (by a devhost that is gone), scheduled, dead-lettered, session and
    expired Service Bus messages, a duplicate-detection row, storage-queue messages and a
    timer status, as the old code stored them."""
    e = epoch
    write_v0(
        path,
        sb=[
            sb_row(3, "orders", "first", e(ENQUEUED), props=PROPS, expires_at=e(EXPIRES)),
            sb_row(
                5,
                "orders",
                "locked",
                e(T - timedelta(seconds=40)),
                delivery_count=1,
                lock_token="old-token",
                locked_until=e(LOCKED_UNTIL),
                lock_owner="a-broker-that-is-gone",
            ),
            sb_row(
                7,
                "orders",
                "later",
                e(T - timedelta(seconds=10)),
                scheduled_at=e(SCHEDULED),
                visible_at=e(SCHEDULED),
            ),
            sb_row(
                8,
                "orders",
                "dead",
                e(T - timedelta(seconds=30)),
                dead_letter=1,
                delivery_count=3,
                dl_reason="MaxDeliveryCountExceeded",
                dl_description="Message could not be consumed after 3 delivery attempts.",
            ),
            sb_row(9, "orders", "second", e(T - timedelta(seconds=5))),
            # An older devhost let a time to live run past the year 9999 (expires_at 1e15)
            # or before year 1: read as the nearest moment a datetime holds, as before.
            sb_row(10, "orders", "forever", e(T - timedelta(seconds=4)), expires_at=1e15),
            sb_row(11, "orders", "gone", e(T - timedelta(seconds=3)), expires_at=-1e15),
            sb_row(12, "devices", "d1-a", e(T - timedelta(seconds=2)), session_id="d1"),
        ],
        duplicates=[("dedup", "seen", e(T + timedelta(seconds=30)))],
        sq=[
            sq_row(1, "jobs", "ready", e(T - timedelta(seconds=100))),
            sq_row(
                2,
                "jobs",
                "held",
                e(T - timedelta(seconds=90)),
                visible_at=e(T + timedelta(seconds=50)),
                dequeue_count=1,
                pop_receipt="old-receipt",
                lock_owner="a-devhost-that-is-gone",
            ),
            sq_row(3, "jobs", "stale", e(T - timedelta(days=8))),  # past its 7 days
        ],
        timers=[("tick", None, "2026-01-01T00:05:00.000000Z", "2026-01-01T00:00:00.000000Z")],
        sequences={"sb_message": 20, "sq_message": 6},  # messages were completed since
    )


def test_an_old_broker_file_gives_every_message_back_in_order_with_its_properties(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    clock = StepClock()
    db = connect(path)
    broker = ServiceBusBroker(db, make_config(), clock.now)
    queues = StorageQueues(db, clock.now)

    got = broker.receive("orders", 10)  # "locked" is still locked, "later" not yet due
    assert [(m.sequence_number, m.body) for m in got] == [
        (3, b"first"),
        (9, b"second"),
        (10, b"forever"),
    ]
    first = got[0]
    assert first.properties == PROPS
    assert first.application_properties == {"n": 1, "colour": "red"}
    assert (first.enqueued_at, first.expires_at, first.scheduled_at) == (
        ENQUEUED,
        EXPIRES,
        None,
    )
    assert first.delivery_count == 1
    assert got[2].expires_at == LAST  # past the year 9999: never expires
    assert [(m.body, m.dead_letter_reason) for m in broker.dead_letters("orders")] == [
        (b"dead", "MaxDeliveryCountExceeded")
    ]
    # The lock of the old run ends exactly when it did: the next thing to happen.
    assert broker.next_visible("orders") == LOCKED_UNTIL
    assert broker.counts("orders") == {"active": 4, "locked": 4, "scheduled": 1, "deadLetter": 1}
    [session] = broker.receive("devices", session_id="d1")
    assert session.body == b"d1-a"
    # Duplicate detection remembers "seen" until its window ends (T + 30 s).
    assert broker.send("dedup", [OutgoingMessage(b"x", message_id="seen")]).duplicates == 1
    broker.complete([m.lock_token or "" for m in got])

    # (A devhost's start would release the lock of the run that is gone at once, with
    # recover(); here it is left to run out, which shows its stored end time held.)
    clock.moment = LOCKED_UNTIL - timedelta(microseconds=1)
    assert broker.receive("orders") == []
    clock.moment = LOCKED_UNTIL
    [locked] = broker.receive("orders")
    assert (locked.body, locked.delivery_count) == (b"locked", 2)  # its delivery counted
    broker.complete([locked.lock_token or ""])

    assert broker.next_visible("orders") == SCHEDULED
    clock.moment = SCHEDULED - timedelta(microseconds=1)
    assert broker.receive("orders") == []
    clock.moment = SCHEDULED
    [later] = broker.receive("orders")
    assert (later.body, later.scheduled_at) == (b"later", SCHEDULED)
    assert broker.send("dedup", [OutgoingMessage(b"x", message_id="seen")]).duplicates == 0

    # New messages are numbered after every one the old file ever had (20), not after the
    # highest still stored: a Service Bus sequence number is never handed out twice.
    assert broker.send("orders", [OutgoingMessage(b"new")]).sequence_numbers == [22]

    clock.moment = T
    [ready] = queues.get("jobs", 10)  # "stale" expired, "held" is invisible until T+50s
    assert (ready.body, ready.inserted_at, ready.dequeue_count) == (
        b"ready",
        T - timedelta(seconds=100),
        1,
    )
    assert ready.expires_at == T - timedelta(seconds=100) + timedelta(days=7)
    assert queues.next_visible("jobs") == T + timedelta(seconds=50)
    clock.moment = T + timedelta(seconds=50)
    [held] = queues.get("jobs", 10)
    assert (held.body, held.dequeue_count) == (b"held", 2)
    queues.put("jobs", [b"new"])
    assert db.execute("SELECT MAX(seq) FROM sq_message").fetchone()[0] == 7
    assert db.execute("SELECT * FROM timer_status").fetchall() == [
        ("tick", None, "2026-01-01T00:05:00.000000Z", "2026-01-01T00:00:00.000000Z")
    ]
    db.close()


def test_the_upgraded_file_declares_text_times_and_holds_only_text(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    connect(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    for table, columns in _db._EPOCH_COLUMNS.items():
        declared = {row[1]: row[2] for row in db.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            assert declared[column] == "TEXT", (table, column)
            kinds = {k for (k,) in db.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")}
            assert kinds <= {"text", "null"}, (table, column, kinds)
            for (value,) in db.execute(f"SELECT {column} FROM {table} WHERE {column} NOT NULL"):
                assert to_ts(from_ts(value)) == value
    indexes = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {
        "sb_message_order",
        "sb_message_visible",
        "sb_message_expiry",
        "sq_message_visible",
    } <= (indexes)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_opening_an_upgraded_file_again_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    connect(path).close()
    before = list(sqlite3.connect(path).iterdump())
    # Another devhost holds the write lock: an open that wanted to write would wait for it
    # and then fail (busy); a current file opens at once.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        connect(path).close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert list(sqlite3.connect(path).iterdump()) == before


def test_a_failed_upgrade_leaves_the_old_file_as_it_was_and_the_next_open_upgrades_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    before = list(sqlite3.connect(path).iterdump())
    calls = 0
    convert = _db._epoch_to_ts

    def failing(value: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 7:  # midway through the first table: as a crash or a full disk would
            raise RuntimeError("disk full")
        return convert(value)

    monkeypatch.setattr(_db, "_epoch_to_ts", failing)
    with pytest.raises(sqlite3.OperationalError):  # SQLite reports the function's error
        connect(path)
    assert list(sqlite3.connect(path).iterdump()) == before
    monkeypatch.setattr(_db, "_epoch_to_ts", convert)
    db = connect(path)
    broker = ServiceBusBroker(db, make_config(), StepClock().now)
    assert [m.body for m in broker.receive("orders", 10)] == [b"first", b"second", b"forever"]
    db.close()


def test_two_devhosts_opening_an_old_file_at_once_upgrade_it_once(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            connect(path).close()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = connect(path)
    assert db.execute("SELECT COUNT(*) FROM sb_message").fetchone()[0] == 8
    assert db.execute("SELECT COUNT(*) FROM sq_message").fetchone()[0] == 3
    db.close()


def test_a_file_of_a_newer_devhost_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    connect(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    before = list(db.iterdump())
    db.close()
    with pytest.raises(BrokerFileError) as caught:
        connect(path)
    assert str(path) in str(caught.value)
    assert f"version {SCHEMA_VERSION + 1}" in str(caught.value)
    after = sqlite3.connect(path)
    assert list(after.iterdump()) == before
    assert after.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_file_that_is_not_a_database_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    path.write_bytes(b"not a database, but long enough to have a header" * 40)
    with pytest.raises(BrokerFileError, match=re.escape(str(path))):
        connect(path)


def test_a_new_file_starts_at_the_current_version(tmp_path: Path) -> None:
    connect(tmp_path / "broker.sqlite").close()
    db = sqlite3.connect(tmp_path / "broker.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@given(st.floats(min_value=-1e20, max_value=1e20, allow_nan=False), st.floats(-1e20, 1e20))
def test_old_times_keep_their_order_and_read_as_the_old_code_read_them(a: float, b: float) -> None:
    text_a, text_b = _db._epoch_to_ts(a), _db._epoch_to_ts(b)
    assert isinstance(text_a, str) and isinstance(text_b, str)
    if a <= b:
        assert text_a <= text_b
    try:
        old = datetime.fromtimestamp(a, UTC)  # what the old code's from_epoch returned
    except (OverflowError, OSError, ValueError):
        old = LAST if a > 0 else datetime.min.replace(tzinfo=UTC)
    assert from_ts(text_a) == old


@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_text_order_is_time_order(a: datetime, b: datetime) -> None:
    assert (to_ts(a) < to_ts(b)) == (a < b)
    assert from_ts(to_ts(a)) == a
    v = a  # the format, field by field (strftime does not pad years before 1000)
    assert to_ts(a) == (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:"
        f"{v.second:02d}.{v.microsecond:06d}Z"
    )


@given(st.datetimes(timezones=st.timezones()))
def test_any_offset_is_stored_as_its_utc_moment_or_the_nearest_one(moment: datetime) -> None:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # its UTC time is outside what a datetime holds
        utc = LAST if moment.year > 1 else datetime.min.replace(tzinfo=UTC)
    assert from_ts(to_ts(moment)) == utc


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-01",
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00.000000+0Z",
        "2026-01-01 00:00:00.000000Z",
        "1.0e+15",
        "",
        None,
        3.5,
    ],
)
def test_from_ts_refuses_anything_but_its_own_format(text: object) -> None:
    with pytest.raises(ValueError, match=re.escape("YYYY-MM-DDTHH:MM:SS.ffffffZ")):
        from_ts(text)  # type: ignore[arg-type]


def test_no_statement_of_the_hot_path_scans_a_whole_table(tmp_path: Path) -> None:
    # Text times keep every comparison in the indexes: no statement of a send, receive,
    # settle or wake-up reads a whole table (which grows with the messages waiting).
    path = tmp_path / "broker.sqlite"
    write_old_file(path)
    db = connect(path)
    clock = StepClock()
    broker = ServiceBusBroker(db, make_config(), clock.now)
    queues = StorageQueues(db, clock.now)
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    broker.send("orders", [OutgoingMessage(b"a"), OutgoingMessage(b"b")])
    broker.send("dedup", [OutgoingMessage(b"x", message_id="once")])
    got = broker.receive("orders", 2)
    broker.renew([got[0].lock_token or ""], "orders")
    broker.complete([got[0].lock_token or ""])
    broker.abandon([got[1].lock_token or ""])
    assert len(broker.receive("devices", session_id="d1")) == 1
    broker.next_session("devices", ["d2"])
    broker.has_ready("orders", ["d2"])
    broker.next_visible("orders")
    broker.counts("orders")
    queues.put("jobs", [b"j"])
    [job] = queues.get("jobs", 1)
    queues.release(job, timedelta(seconds=5), 5)
    queues.has_ready("jobs")
    queues.next_visible("jobs")
    queues.counts("jobs")
    db.set_trace_callback(None)
    scans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            continue
        for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"):
            if row[3].startswith("SCAN") and ("sb_message" in row[3] or "sq_message" in row[3]):
                scans.append((sql, row[3]))
    assert scans == []
    db.close()


def _steps_of_next_visible(tmp_path: Path, waiting: int) -> int:
    """SQLite VM steps (in tens) of one next_visible with ``waiting`` locked and ``waiting``
    scheduled messages in the queue."""
    clock = StepClock()
    db = connect(tmp_path / f"broker-{waiting}.sqlite")
    broker = ServiceBusBroker(db, make_config(), clock.now)
    later = [OutgoingMessage(b"s", scheduled_enqueue_time=T + timedelta(hours=1))] * waiting
    broker.send("orders", [OutgoingMessage(b"m")] * waiting + later)
    assert len(broker.receive("orders", waiting)) == waiting
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 10)
    assert broker.next_visible("orders") == T + timedelta(minutes=1)  # the first lock's end
    db.set_progress_handler(None, 10)
    db.close()
    return steps


def test_finding_the_next_wake_up_does_not_read_every_waiting_message(tmp_path: Path) -> None:
    # The end of the next lock comes from an index of the locked messages' ends, not from
    # reading every message of the queue (which made each wake-up linear in the queue).
    few, many = _steps_of_next_visible(tmp_path, 10), _steps_of_next_visible(tmp_path, 1000)
    assert many < 3 * few + 10, (few, many)
