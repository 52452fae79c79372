"""Scheduled workflows as data: entries, NCRONTAB, tick windows, sync items, the tick cursor."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules import (
    BadSyncItem,
    SyncItem,
    due_items,
    load_schedules,
    parse_cron,
    parse_entry,
    parse_schedules_document,
    parse_sync_item,
    tick_time,
)
from schedules.cursor import take_tick
from services.testing import fresh_database

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
GOOD = {
    "id": "1",
    "name": "products",
    "schedule": "*/15 * * * * *",
    "workflow": "scheduled-sync",
    "input": {"database": "warehouse"},
}


def schedule(**changes: Any) -> Any:
    parsed, problems = parse_entry({**GOOD, **changes})
    assert parsed is not None, problems
    return parsed


# ---- entries ---------------------------------------------------------------------------------


def test_a_good_entry_reads_with_its_defaults() -> None:
    parsed = schedule(id=1)
    assert (
        parsed.id,
        parsed.name,
        parsed.cron.text,
        parsed.workflow,
        parsed.version,
        parsed.enabled,
    ) == ("1", "products", "*/15 * * * * *", "scheduled-sync", None, True)
    assert schedule(version="latest").version is None
    assert schedule(version="1.2.0-rc.1").version == "1.2.0-rc.1"


def test_every_bad_field_of_an_entry_is_named_at_once() -> None:
    parsed, problems = parse_entry(
        {
            "id": "a/b",
            "name": "",
            "schedule": "* * * * *",
            "workflow": "Sync",
            "version": "v1",
            "input": [1],
            "enabled": 1,
            "cron": "x",
        }
    )
    assert parsed is None
    assert [name for name, _ in problems] == [
        "cron",
        "id",
        "name",
        "schedule",
        "workflow",
        "version",
        "input",
        "enabled",
    ]
    messages = dict(problems)
    assert "expected 1-64 letters" in messages["id"] and '"a/b"' in messages["id"]
    assert "has 5 field(s); expected six" in messages["schedule"]
    assert "is not a field here" in messages["cron"]


@pytest.mark.parametrize(
    "value",
    ["Workflow\n1", "a b", "x#y", "x?y", "\udcff", "-a", "a-", "a" * 65, "", None, True, -1, 1.5],
)
def test_ids_that_cannot_be_part_of_an_instance_id_are_refused(value: Any) -> None:
    _, problems = parse_entry({**GOOD, "id": value})
    assert [name for name, _ in problems] == ["id"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("0 0 0 L * *", "day field 'L'"),
        ("0 0 0 ? * *", "day field '?'"),
        ("0 0 0 * * 1#2", "day-of-week field '1#2'"),
        ("@daily", "1 field(s)"),
        ("61 * * * * *", "out of range"),
        ("0 0 0 31 4 *", "never fires"),
        ("0 0 0 * * FRIDAY", "three-letter names"),
        ("", "six-field"),
    ],
)
def test_schedules_outside_ncrontab_are_refused(text: str, needle: str) -> None:
    _, problems = parse_entry({**GOOD, "schedule": text})
    assert len(problems) == 1 and needle in problems[0][1]


def test_names_and_lists_are_ncrontab() -> None:
    cron = parse_cron("0 30 9 * JAN-MAR MON-FRI")
    assert cron.latest_at_or_before(datetime(2026, 1, 5, 9, 30, 0, tzinfo=UTC)) == datetime(
        2026, 1, 5, 9, 30, 0, tzinfo=UTC
    )  # a Monday in January
    # Day of month and day of week must both match (Friday the 13th).
    friday_13 = parse_cron("0 0 0 13 * FRI")
    assert friday_13.next_after(T0) == datetime(2026, 11, 13, tzinfo=UTC)


def test_an_input_too_big_for_a_queue_message_is_refused() -> None:
    _, problems = parse_entry({**GOOD, "input": {"blob": "x" * 40_000}})
    assert problems and problems[0][0] == "input" and "at most 32768" in problems[0][1]
    _, problems = parse_entry({**GOOD, "input": {"text": "\ud800"}})
    assert problems == [("input", "expected JSON text that can be sent on a queue")]


def test_a_document_keeps_the_good_entries_and_rejects_the_bad() -> None:
    text = json.dumps({"schedules": [GOOD, {**GOOD, "id": "2", "schedule": "nope"}, 5]})
    good, bad = parse_schedules_document(text, "file.json")
    assert [s.id for s in good] == ["1"]
    assert [str(r) for r in bad] == [
        "file.json schedules[1] (id '2'): schedule: 'nope' has 1 field(s); expected six: "
        "'{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 0 2 * * *'",
        "file.json schedules[2]: (entry): expected a JSON object, got 5",
    ]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "(document)"),
        ('{"schedules": {}}', "schedules"),
        ("[]", "schedules"),
        ('{"schedules": [], "extra": 1}', "extra"),
        (b"\xff\xfe{", "(document)"),
        ("[" * 100_000, "(document)"),
        (" " * (1024 * 1024 + 1), "(document)"),
    ],
)
def test_a_bad_document_is_one_rejection_of_its_source(text: str | bytes, field: str) -> None:
    good, bad = parse_schedules_document(text, "f")
    assert good == [] and [(r.source, r.field) for r in bad] == [("f", field)]


FIELD_NAMES = st.sampled_from([*GOOD, "enabled", "version", "x"]) | st.text(max_size=5)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(FIELD_NAMES, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_any_json_document_loads_without_raising(value: Any) -> None:
    for document in (value, {"schedules": value}, {"schedules": [value]}):
        good, bad = parse_schedules_document(json.dumps(document), "f")
        assert all(isinstance(s.id, str) for s in good)
        assert all(r.source == "f" and r.field and r.message for r in bad)


def test_sources_merge_the_file_and_blobs_and_reject_duplicate_ids(tmp_path: Path) -> None:
    file = tmp_path / "schedules.json"
    file.write_text(json.dumps({"schedules": [GOOD]}))

    class Blobs:
        def list_names(self, container: str, prefix: str = "") -> list[str]:
            return ["b.json", "a.json", "notes.txt"]

        def get(self, container: str, name: str) -> Any:
            entries = {"a.json": [{**GOOD, "id": "2"}], "b.json": [{**GOOD, "name": "twin"}]}
            return type("Blob", (), {"content": json.dumps({"schedules": entries[name]}).encode()})

    loaded = load_schedules(file=file, blobs=Blobs(), container="workflow-schedules")
    assert [(s.id, s.source) for s in loaded.schedules] == [
        ("1", str(file)),
        ("2", "blob container workflow-schedules/a.json"),
    ]
    assert [str(r) for r in loaded.rejections] == [
        f"blob container workflow-schedules/b.json schedules[0] (id '1'): id: '1' is already "
        f"defined in {file}"
    ]
    assert load_schedules(file=tmp_path / "missing.json").schedules == []


def test_an_unreachable_container_is_reported_and_the_file_still_runs(tmp_path: Path) -> None:
    file = tmp_path / "schedules.json"
    file.write_text(json.dumps({"schedules": [GOOD]}))

    class Down:
        def list_names(self, container: str, prefix: str = "") -> list[str]:
            raise ConnectionError("connection refused")

        def get(self, container: str, name: str) -> Any:
            raise AssertionError("not reached")

    loaded = load_schedules(file=file, blobs=Down(), container="workflow-schedules")
    assert [s.id for s in loaded.schedules] == ["1"]
    assert [(r.field, r.message) for r in loaded.rejections] == [
        ("(source)", "cannot be listed: ConnectionError")
    ]


# ---- ticks -----------------------------------------------------------------------------------


def test_each_tick_gives_the_occurrences_since_the_previous_one() -> None:
    every_15 = schedule()
    assert due_items([every_15], T0, T0 + timedelta(seconds=15)) == [
        every_15.item_at(T0 + timedelta(seconds=15))
    ]
    assert due_items([every_15], T0 + timedelta(seconds=15), T0 + timedelta(seconds=15)) == []
    # Ten minutes missed: one item, the latest occurrence.
    items = due_items([every_15], T0, T0 + timedelta(minutes=10, seconds=7))
    assert [i.trigger for i in items] == [T0 + timedelta(minutes=10)]
    assert due_items([schedule(enabled=False)], T0, T0 + timedelta(minutes=1)) == []


def test_the_first_tick_ever_fires_only_what_is_due_that_second() -> None:
    daily = schedule(schedule="0 0 2 * * *")
    assert due_items([daily], None, T0) == []  # 02:00 today passed; no replay at deploy
    assert due_items([schedule()], None, T0) == [schedule().item_at(T0)]


CRONS = [
    "*/15 * * * * *",
    "0 * * * * *",
    "30 */2 * * * *",
    "0 0 * * * *",
    "7,8,9 * * * * *",
    "0 0 2 * * MON-FRI",
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(CRONS),
    st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=40),
)
def test_ticks_give_each_occurrence_at_most_once_and_never_miss_a_window(
    text: str, gaps: list[int]
) -> None:
    entry = schedule(schedule=text)
    ticks, moment = [], T0
    for gap in gaps:
        moment += timedelta(seconds=gap)
        ticks.append(moment)
    previous: datetime | None = T0
    fired: list[datetime] = []
    for tick in ticks:
        items = due_items([entry], previous, tick)
        assert len(items) <= 1
        latest = entry.cron.latest_at_or_before(tick)
        has_occurrence = latest is not None and previous is not None and latest > previous
        assert bool(items) == has_occurrence
        for item in items:
            assert previous is not None and previous < item.trigger <= tick
            assert item.trigger == latest
            fired.append(item.trigger)
        previous = tick
    assert fired == sorted(set(fired))


def test_ticking_on_every_occurrence_fires_every_occurrence() -> None:
    entry = schedule(schedule="*/15 * * * * *")
    previous, fired = T0, []
    for n in range(1, 41):
        tick = T0 + timedelta(seconds=15 * n)
        fired += [i.trigger for i in due_items([entry], previous, tick)]
        previous = tick
    assert fired == [T0 + timedelta(seconds=15 * n) for n in range(1, 41)]


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        ({"Next": "2026-06-01T08:00:15+00:00"}, T0, T0 + timedelta(seconds=15)),
        ({"Next": "2026-06-01T08:00:15Z", "Last": "x"}, T0, T0 + timedelta(seconds=15)),
        ({"Next": "2026-06-01T08:00:15"}, T0, T0 + timedelta(seconds=15)),  # host local time
        ({}, T0 + timedelta(seconds=14, milliseconds=998), T0 + timedelta(seconds=15)),
        ({}, T0 + timedelta(seconds=15, milliseconds=3), T0 + timedelta(seconds=15)),
        (None, T0 + timedelta(milliseconds=400), T0),
        ({"Next": "0001-01-01T00:00:00"}, T0, T0),
        ({"Next": "garbage"}, T0, T0),
        ({"Next": 5}, T0, T0),
    ],
)
def test_the_tick_is_the_status_next_else_now_to_the_second(
    status: Any, now: datetime, expected: datetime
) -> None:
    assert tick_time(status, now) == expected


# ---- sync items ------------------------------------------------------------------------------


def test_an_item_names_its_instance_by_id_sync_name_and_date() -> None:
    item = schedule().item_at(T0 + timedelta(seconds=15))
    assert item.instance_id == "Workflow-1-products-20260601T080015Z"
    body = json.dumps(item.to_json()).encode()
    assert json.loads(body) == {
        "id": "1",
        "syncName": "products",
        "triggerDateUtc": "2026-06-01T08:00:15Z",
        "workflow": "scheduled-sync",
        "input": {"database": "warehouse"},
    }
    assert parse_sync_item(body) == item
    pinned = SyncItem("1", "p", T0, "w", "1.0.0", {})
    assert parse_sync_item(json.dumps(pinned.to_json()).encode()) == pinned
    assert pinned.orchestrator_input() == {"workflow": "w", "version": "1.0.0", "input": {}}


@pytest.mark.parametrize(
    ("body", "reason", "fields"),
    [
        (b"\xff", "not-json", []),
        (b"{", "not-json", []),
        (b"[]", "schema-invalid", ["(message)"]),
        (
            json.dumps({"id": "1"}).encode(),
            "schema-invalid",
            ["syncName", "triggerDateUtc", "workflow"],
        ),
        (
            json.dumps(
                {
                    "id": "1",
                    "syncName": "a\r\nb",
                    "triggerDateUtc": "2026-06-01T08:00:15",
                    "workflow": "w",
                    "input": "x",
                    "more": 1,
                }
            ).encode(),
            "schema-invalid",
            ["more", "syncName", "triggerDateUtc", "input"],
        ),
        (
            json.dumps(
                {"id": "1", "syncName": "a", "triggerDateUtc": "yesterday", "workflow": "w"}
            ).encode(),
            "schema-invalid",
            ["triggerDateUtc"],
        ),
    ],
)
def test_a_message_that_is_not_a_sync_item_names_every_bad_field(
    body: bytes, reason: str, fields: list[str]
) -> None:
    with pytest.raises(BadSyncItem) as caught:
        parse_sync_item(body)
    assert caught.value.reason == reason
    assert [e["field"] for e in caught.value.details.get("errors", [])] == fields


# ---- the tick cursor -------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def test_the_cursor_hands_each_tick_out_once_in_order(engine: sa.Engine) -> None:
    first = take_tick(engine, "timer", T0, T0)
    assert first is not None and first.previous is None
    assert take_tick(engine, "timer", T0, T0) is None
    later = take_tick(engine, "timer", T0 + timedelta(seconds=15), T0)
    assert later is not None and later.previous == T0
    assert take_tick(engine, "timer", T0, T0) is None  # the clock went back: nothing
    assert take_tick(engine, "other", T0, T0) is not None


def test_of_hosts_racing_for_a_tick_exactly_one_wins(engine: sa.Engine) -> None:
    take_tick(engine, "timer", T0, T0)
    for n in range(1, 6):
        tick = T0 + timedelta(seconds=15 * n)
        won: list[object] = []
        barrier = threading.Barrier(4)

        def race(
            tick: datetime = tick, won: list[object] = won, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            try:
                taken = take_tick(engine, "timer", tick, tick)
            except sa.exc.OperationalError:  # SQLite "database is locked": this host lost
                taken = None
            if taken is not None:
                won.append(taken)

        threads = [threading.Thread(target=race) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1


def test_the_validate_command_prints_every_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from schedules.cli import main

    good = tmp_path / "good.json"
    good.write_text(json.dumps({"schedules": [GOOD]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schedules": [{**GOOD, "schedule": "0 0 0 30 2 *", "x": 1}]}))
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok, 1 schedule(s)\n"
    assert main(["validate", str(good), str(bad), str(tmp_path / "none.json")]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{good}: ok, 1 schedule(s)",
        f"{bad} schedules[0] (id '1'): x: is not a field here; expected only id, name, "
        "schedule, workflow, version, input, enabled",
        f"{bad} schedules[0] (id '1'): schedule: '0 0 0 30 2 *' never fires (no occurrence "
        "within 28 years)",
    ]
    assert "none.json: (source): no such file" in out.err
    assert main(["validate", "--json", str(bad)]) == 1
    assert [json.loads(line)["field"] for line in capsys.readouterr().out.splitlines()] == [
        "x",
        "schedule",
    ]


# ---- the queue trigger's start-or-skip -------------------------------------------------------


class _Client:
    """The durable client's two calls, with a twin that starts the instance between this
    trigger's look and its start (the interleaving devhost shows only now and then)."""

    def __init__(self, twin: bool, fails: bool = False) -> None:
        self.status: str | None = None
        self.twin, self.fails = twin, fails
        self.started: list[tuple[str, Any]] = []

    async def get_status(self, instance_id: str) -> Any:
        return type("Status", (), {"runtime_status": self.status})()

    async def start_new(
        self, name: str, instance_id: str | None = None, client_input: Any = None
    ) -> str:
        if self.twin:
            self.status = "Running"
            raise RuntimeError("An orchestration instance with this ID is already running")
        if self.fails:
            raise ConnectionError("the durable client is down")
        self.started.append((str(instance_id), client_input))
        return str(instance_id)


def test_a_start_refused_because_a_twin_started_it_is_a_duplicate(engine: sa.Engine) -> None:
    import asyncio

    from ingress.sync_items import ReceivedItem, accept_sync_item

    body = json.dumps(schedule().item_at(T0).to_json()).encode()
    twin = _Client(twin=True)
    outcome = asyncio.run(
        accept_sync_item(ReceivedItem("m-1", body), engine=engine, client=twin, now=T0)
    )
    assert (outcome.action, outcome.instance_id) == (
        "duplicate-ignored",
        "Workflow-1-products-20260601T080000Z",
    )
    plain = _Client(twin=False)
    outcome = asyncio.run(
        accept_sync_item(ReceivedItem("m-2", body), engine=engine, client=plain, now=T0)
    )
    assert outcome.action == "started"
    assert plain.started == [
        (
            "Workflow-1-products-20260601T080000Z",
            {"workflow": "scheduled-sync", "input": {"database": "warehouse"}},
        )
    ]
    with pytest.raises(ConnectionError):  # anything else is retried by the queue
        asyncio.run(
            accept_sync_item(
                ReceivedItem("m-3", body),
                engine=engine,
                client=_Client(twin=False, fails=True),
                now=T0,
            )
        )


CRON_TEXT = st.lists(
    st.sampled_from(
        [
            "*",
            "*/15",
            "0",
            "59",
            "1-5",
            "MON",
            "JAN-MAR",
            "7",
            "99",
            "*/0",
            "L",
            "?",
            "1,2,3",
            "-",
            "/",
            "**",
            "0-6/2",
        ]
    )
    | st.text(max_size=6),
    min_size=0,
    max_size=8,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(CRON_TEXT, st.text(max_size=300)))
def test_any_schedule_text_parses_or_says_why(text: str) -> None:
    from schedules import CronError

    try:
        cron = parse_cron(text)
    except CronError as error:
        message = str(error)
        cron = None
    if cron is None:
        assert message
        return
    assert len(cron.text.split()) == 6
    assert cron.next_after(T0) is not None
