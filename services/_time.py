"""Timestamps: services take the current time as an argument (the virtual clock decides it) and
speak ISO 8601 UTC with a ``Z`` in JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from services.errors import InvalidInput


def utc(value: datetime, field: str = "now") -> datetime:
    """``value`` in UTC; a naive datetime is refused because its zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "expected a timezone-aware datetime")
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """ISO 8601 UTC with ``Z``; microseconds only when present, so whole seconds read cleanly."""
    text = utc(value).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_timestamp(text: object, field: str) -> datetime:
    """Parse an ISO 8601 timestamp with a zone (``Z`` or an offset) into an aware UTC datetime."""
    if not isinstance(text, str):
        raise InvalidInput(field, "expected an ISO 8601 timestamp string")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, f"expected an ISO 8601 timestamp, got {text!r}") from None
    return utc(value, field)
