"""ISO 8601 durations and UTC timestamps, parsed without any clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["format_timestamp", "parse_duration", "parse_timestamp"]

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?!$)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: object) -> timedelta:
    """``PT30S``, ``PT48H``, ``P5D``, ``P1W``, ``P1DT2H``: a fixed-length duration.

    Years and months are refused: their length depends on the calendar, so a deadline built
    from them would be ambiguous.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 duration string such as 'PT30S', got {text!r}")
    match = _DURATION.match(text.strip().upper())
    if match is None:
        raise ValueError(
            f"expected an ISO 8601 duration such as 'PT30S', 'PT48H' or 'P5D' "
            f"(weeks, days, hours, minutes, seconds), got {text!r}"
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(**parts)


def parse_timestamp(text: object) -> datetime:
    """An ISO 8601 timestamp; a naive one is taken as UTC. Returned in UTC."""
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, str):
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"expected an ISO 8601 timestamp such as '2026-01-31T12:00:00Z', got {text!r}"
            ) from None
    else:
        raise ValueError(f"expected an ISO 8601 timestamp string, got {text!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC timestamp as ``2026-01-31T12:00:00Z`` (microseconds only when present)."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")
