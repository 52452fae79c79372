"""Deadlines in words and the time left, as mails and approval pages write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.approval.wording import deadline_in_words, time_left

NOW = datetime(2026, 12, 3, 11, 22, tzinfo=UTC)


def test_a_deadline_is_written_out_in_utc_with_its_weekday() -> None:
    assert (
        deadline_in_words(datetime(2026, 12, 5, 11, 22, tzinfo=UTC))
        == "Saturday 5 December 2026, 11:22 UTC"
    )
    # A moment in another zone is the same instant, written in UTC.
    plus_two = timezone(timedelta(hours=2))
    assert (
        deadline_in_words(datetime(2026, 12, 5, 1, 5, tzinfo=plus_two))
        == "Friday 4 December 2026, 23:05 UTC"
    )


def test_the_time_left_names_the_two_largest_units() -> None:
    assert time_left(NOW, NOW + timedelta(days=1, hours=23, minutes=59)) == "1 day 23 hours left"
    assert time_left(NOW, NOW + timedelta(days=2)) == "2 days left"
    assert time_left(NOW, NOW + timedelta(minutes=40, seconds=59)) == "40 minutes left"
    assert time_left(NOW, NOW + timedelta(seconds=30)) == "less than a minute left"
    assert time_left(NOW, NOW) == "passed just now"
    assert time_left(NOW, NOW - timedelta(hours=3, seconds=1)) == "passed 3 hours ago"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_the_time_left_says_left_exactly_when_the_deadline_is_ahead(seconds: int) -> None:
    words = time_left(NOW, NOW + timedelta(seconds=seconds))
    assert words.endswith(" left") == (seconds > 0)
    assert re.fullmatch(
        r"(less than a minute|(\d+ (day|hour|minute)s? ?){1,2}) left|"
        r"passed (just now|(\d+ (day|hour|minute)s? ?){1,2}ago)",
        words,
    ), words
