"""Timer schedules: six-field NCRONTAB (seconds first) and TimeSpan intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devhost.schedule import ScheduleError, monitored, parse_schedule, parse_timespan

T0 = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)  # a Thursday


def ticks(text: str, start: datetime, count: int) -> list[datetime]:
    schedule = parse_schedule(text)
    out, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        out.append(moment)
    return out


def test_every_fifteen_seconds_gives_four_ticks_a_minute() -> None:
    got = ticks("*/15 * * * * *", T0, 4)
    assert got == [T0 + timedelta(seconds=s) for s in (15, 30, 45, 60)]


def test_next_after_is_strictly_after_an_occurrence() -> None:
    schedule = parse_schedule("0 */5 * * * *")
    assert schedule.next_after(T0) == T0 + timedelta(minutes=5)
    assert schedule.next_after(T0 - timedelta(microseconds=1)) == T0


def test_weekdays_at_half_past_nine_skip_the_weekend() -> None:
    got = ticks("0 30 9 * * 1-5", T0, 3)
    assert [d.strftime("%a %H:%M:%S") for d in got] == [
        "Thu 09:30:00",
        "Fri 09:30:00",
        "Mon 09:30:00",
    ]


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    # The 13th that is a Friday: NCRONTAB requires both, classic cron would take either.
    got = ticks("0 0 0 13 * 5", T0, 2)
    assert [d.date().isoformat() for d in got] == ["2026-02-13", "2026-03-13"]


def test_timespan_fires_on_a_grid_from_midnight() -> None:
    got = ticks("00:00:20", T0 + timedelta(seconds=5), 3)
    assert got == [T0 + timedelta(seconds=s) for s in (20, 40, 60)]
    assert ticks("01:00:00", T0 + timedelta(minutes=59, seconds=59), 1) == [T0 + timedelta(hours=1)]


def test_timespan_of_a_day_or_more_adds_the_interval() -> None:
    assert ticks("1.00:00:00", T0 + timedelta(hours=3), 1) == [T0 + timedelta(days=1, hours=3)]


def test_parse_timespan_reads_days() -> None:
    assert parse_timespan("2.03:04:05") == timedelta(days=2, hours=3, minutes=4, seconds=5)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("* * * * *", r"5 field\(s\)"),
        ("*/15 * * * * * *", r"7 field\(s\)"),
        ("99 * * * * *", "not a valid NCRONTAB"),
        ("00:99:00", "minutes and seconds"),
        ("00:00:00", "positive"),
        ("tomorrow", "six-field"),
    ],
)
def test_bad_schedules_say_what_was_expected(text: str, needle: str) -> None:
    with pytest.raises(ScheduleError, match=needle):
        parse_schedule(text)


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ScheduleError, match="timezone-aware"):
        parse_schedule("*/1 * * * * *").next_after(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*/15 * * * * *", False),  # four a minute
        ("0,30 * * * * *", False),
        ("* * * * * *", False),
        ("0 * * * * *", True),  # once a minute is monitored
        ("*/15 * 9 * * *", True),  # a field above the seconds is not '*': the host monitors it
        ("0 */5 * * * *", True),
        ("00:00:20", False),
        ("00:01:00", True),
        ("1.00:00:00", True),
    ],
)
def test_the_host_monitors_only_schedules_of_a_minute_or_longer(text: str, expected: bool) -> None:
    assert monitored(parse_schedule(text)) is expected
