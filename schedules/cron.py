"""Six-field NCRONTAB schedules (``{second} {minute} {hour} {day} {month} {day-of-week}``, UTC),
as the Functions timer trigger reads them, evaluated with croniter.

Only NCRONTAB's own syntax is accepted (numbers, names, ``*``, ``,``, ``-``, ``/``): croniter
also knows ``L``, ``W``, ``#``, ``?`` and ``@daily``, which a schedule valid here but refused by
the Functions host would make confusing. Day of month and day of week must both match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import CroniterBadDateError, croniter

__all__ = ["Cron", "CronError", "parse_cron"]


def _field(value: str) -> re.Pattern[str]:
    item = rf"(?:\*|{value}(?:-{value})?)(?:/[0-9]+)?"
    return re.compile(rf"^{item}(?:,{item})*$")


_NUMBERS = _field(r"[0-9]+")
_NAMES = _field(r"(?:[0-9]+|[A-Za-z]{3})")  # JAN..DEC, SUN..SAT
_FIELDS = (
    ("second", _NUMBERS),
    ("minute", _NUMBERS),
    ("hour", _NUMBERS),
    ("day", _NUMBERS),
    ("month", _NAMES),
    ("day-of-week", _NAMES),
)
# A schedule with no occurrence within this many years never fires (30 February).
_HORIZON_YEARS = 28
_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


class CronError(ValueError):
    """Not a six-field NCRONTAB expression; the message says what was expected."""


@dataclass(frozen=True)
class Cron:
    """A parsed schedule; ``text`` is the expression as written (whitespace normalised)."""

    text: str

    def _iter(self, start: datetime) -> croniter:
        return croniter(
            self.text,
            start,
            second_at_beginning=True,
            day_or=False,
            max_years_between_matches=_HORIZON_YEARS,
        )

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last occurrence at or before ``moment`` (aware), or None if there is none."""
        whole = _utc(moment).replace(microsecond=0)
        try:
            found: datetime = self._iter(whole + timedelta(seconds=1)).get_prev(datetime)
        except CroniterBadDateError:
            return None
        return found.astimezone(UTC)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (aware), or None."""
        try:
            found: datetime = self._iter(_utc(moment)).get_next(datetime)
        except CroniterBadDateError:
            return None
        return found.astimezone(UTC)


def parse_cron(text: object) -> Cron:
    """Check ``text`` and return it as a :class:`Cron`; :class:`CronError` says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise CronError("expected a six-field NCRONTAB expression such as '0 */5 * * * *'")
    if len(text) > 256:
        raise CronError(f"is {len(text)} characters; an NCRONTAB expression here has at most 256")
    fields = text.split()
    if len(fields) != len(_FIELDS):
        raise CronError(
            f"{text.strip()!r} has {len(fields)} field(s); expected six: "
            "'{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 0 2 * * *'"
        )
    for (name, pattern), field in zip(_FIELDS, fields, strict=True):
        if not pattern.match(field):
            names = " or three-letter names" if pattern is _NAMES else ""
            raise CronError(
                f"{name} field {field!r}: expected numbers{names} with '*', ',', "
                "'-' and '/' (NCRONTAB syntax)"
            )
    normalised = " ".join(fields)
    if not croniter.is_valid(normalised, second_at_beginning=True):
        raise CronError(
            f"{normalised!r} is not a valid NCRONTAB expression (a value is out "
            "of range or a name is unknown)"
        )
    cron = Cron(normalised)
    if cron.next_after(_ANCHOR) is None:
        raise CronError(f"{normalised!r} never fires (no occurrence within {_HORIZON_YEARS} years)")
    return cron


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("schedule times must be timezone-aware")
    return moment.astimezone(UTC)
