"""Times as approvers read them: a deadline in words and the time left until it.

Mails and pages are read in zones we do not know, so a deadline is written out in UTC with its
weekday ("Saturday 5 December 2026, 11:22 UTC"); the dashboard, which runs in the reader's
browser, shows local time instead.
"""

from __future__ import annotations

from datetime import datetime

from services._time import utc

__all__ = ["deadline_in_words", "time_left"]

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def deadline_in_words(moment: datetime) -> str:
    """``Saturday 5 December 2026, 11:22 UTC``."""
    at = utc(moment, "deadline")
    return f"{at:%A} {at.day} {at:%B %Y, %H:%M} UTC"


def time_left(now: datetime, deadline: datetime) -> str:
    """``1 day 23 hours left``, ``40 minutes left``, ``less than a minute left`` or
    ``passed 3 hours ago``: the two largest units, rounded down."""
    seconds = int((utc(deadline, "deadline") - utc(now)).total_seconds())
    words = _span(abs(seconds))
    if seconds <= 0:
        return "passed just now" if words is None else f"passed {words} ago"
    return "less than a minute left" if words is None else f"{words} left"


def _span(seconds: int) -> str | None:
    """The largest unit and the one after it (``1 day 23 hours``, ``2 days``), or None."""
    counts = []
    for name, size in _UNITS:
        count, seconds = divmod(seconds, size)
        counts.append((name, count))
    first = next((i for i, (_, count) in enumerate(counts) if count), None)
    if first is None:
        return None
    words = [
        f"{count} {name}{'' if count == 1 else 's'}"
        for name, count in counts[first : first + 2]
        if count
    ]
    return " ".join(words)
