"""The host's clock: ISO 8601 durations and the virtual clock's stepping advance."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from devhost.clock import RealClock, VirtualClock, parse_duration

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P5D", timedelta(days=5)),
        ("PT24H", timedelta(hours=24)),
        ("PT1M30S", timedelta(minutes=1, seconds=30)),
        ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("PT0.5S", timedelta(milliseconds=500)),
        (" PT90M ", timedelta(minutes=90)),
    ],
)
def test_parse_duration_reads_days_and_time(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "5D", "PT-5S", "1h", "P1W", "PT5X", "P1M", None, 60]
)
def test_parse_duration_rejects_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="expected an ISO 8601 duration"):
        parse_duration(text)


def test_virtual_clock_stands_still_until_advanced():
    clock = VirtualClock(START)
    assert clock.is_virtual
    assert clock.now() == START
    assert abs(RealClock().now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_advance_wakes_sleepers_in_time_order_each_seeing_its_own_moment():
    async def scenario():
        clock = VirtualClock(START)
        clock.bind(asyncio.get_running_loop())
        woke: list[tuple[str, datetime]] = []
        settled: list[datetime] = []

        async def sleeper(name, hours):
            await clock.sleep_until(START + timedelta(hours=hours))
            woke.append((name, clock.now()))
            if name == "b":  # a sleeper that sleeps again is visited in the same advance
                await clock.sleep_until(clock.now() + timedelta(minutes=30))
                woke.append(("b-again", clock.now()))

        async def settle():
            settled.append(clock.now())
            for _ in range(5):
                await asyncio.sleep(0)

        tasks = [
            asyncio.create_task(sleeper(n, h))
            for n, h in (("c", 3), ("a", 1), ("b", 2), ("late", 6))
        ]
        await asyncio.sleep(0)
        now = await clock.advance(timedelta(hours=5), settle)
        assert now == START + timedelta(hours=5) == clock.now()
        assert woke == [
            ("a", START + timedelta(hours=1)),
            ("b", START + timedelta(hours=2)),
            ("b-again", START + timedelta(hours=2, minutes=30)),
            ("c", START + timedelta(hours=3)),
        ]
        # The host settled at every stop, including the start and the end.
        assert settled[0] == START
        assert settled[-1] == START + timedelta(hours=5)
        assert START + timedelta(hours=2, minutes=30) in settled
        assert not tasks[3].done()  # due at 6 h, after the target
        await clock.advance(timedelta(hours=1), settle)
        await asyncio.sleep(0)
        assert woke[-1] == ("late", START + timedelta(hours=6))
        await asyncio.gather(*tasks)

    asyncio.run(scenario())


def test_advance_refuses_to_go_backwards():
    async def scenario():
        clock = VirtualClock(START)
        clock.bind(asyncio.get_running_loop())
        with pytest.raises(ValueError, match="backwards"):
            await clock.advance(timedelta(seconds=-1))
        assert clock.now() == START

    asyncio.run(scenario())


def test_parse_duration_too_long_for_a_timedelta_is_a_value_error():
    with pytest.raises(ValueError, match="longer than a timedelta can hold"):
        parse_duration("P9999999999D")


def test_a_virtual_clock_kept_in_a_file_resumes_there_and_records_every_step(tmp_path):
    path = tmp_path / "clock.json"
    first = VirtualClock(START)
    first.keep_in(path)

    async def advance() -> None:
        first.bind(asyncio.get_running_loop())
        await first.advance(timedelta(hours=5))

    asyncio.run(advance())
    resumed = VirtualClock()  # no start of its own: it takes the recorded moment
    resumed.keep_in(path)
    assert resumed.now() == START + timedelta(hours=5)
    behind = VirtualClock(START)  # a start behind the record moves forward to it
    behind.keep_in(path)
    assert behind.now() == START + timedelta(hours=5)
    ahead = VirtualClock(START + timedelta(days=1))
    ahead.keep_in(path)
    assert ahead.now() == START + timedelta(days=1)


def test_a_real_clock_records_the_later_of_now_and_the_recorded_moment(tmp_path, caplog):
    path = tmp_path / "clock.json"
    future = VirtualClock(datetime.now(UTC) + timedelta(days=3))
    future.keep_in(path)
    RealClock().keep_in(path)
    assert "ahead of the real time" in caplog.text
    after = VirtualClock()
    after.keep_in(path)
    assert after.now() >= future.now()
