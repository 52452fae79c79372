"""Request input read with its bounds: a value out of range is a 400 naming it.

Every number a route takes has a range it is meant for; without one, ``top=99999999999999999999``
overflows SQLite and a time past the year 9999 overflows ``datetime``, and either would be a
500, as would JSON nested 100,000 levels deep (a RecursionError). ``BadParameter`` is answered
by ``problem_middleware`` as a 400 whose ``field`` is the parameter's name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "INT32_MAX",
    "MAX_JSON_DEPTH",
    "BadParameter",
    "moment",
    "parse_json",
    "seconds",
    "whole_number",
]

INT32_MAX = 2**31 - 1  # the extension reads counts such as ``top`` as a .NET int


class BadParameter(ValueError):
    """A query parameter (or header) the route cannot take; ``field`` names it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


def whole_number(
    query: Mapping[str, str], name: str, *, low: int, high: int, default: int | None = None
) -> int | None:
    """A whole number from ``low`` to ``high``; absent or empty gives ``default``."""
    raw = query.get(name, "")
    if not raw:
        return default
    text = raw.strip()
    if (
        not (text.isascii() and text.lstrip("+-").isdigit())
        or len(text) > 20
        or not low <= int(text) <= high
    ):
        raise BadParameter(name, f"expected a whole number from {low} to {high}, got {raw!r}")
    return int(text)


def seconds(
    query: Mapping[str, str], name: str, *, high: float, default: float | None = None
) -> float | None:
    """A number of seconds from 0 to ``high``; absent or empty gives ``default``."""
    raw = query.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= high:
        raise BadParameter(name, f"expected seconds as a number from 0 to {high:g}, got {raw!r}")
    return value


def moment(
    query: Mapping[str, str],
    name: str,
    *,
    default: datetime | None = None,
) -> datetime | None:
    """An ISO 8601 time, in UTC; one without an offset is local time (as the extension's
    ``DateTime.TryParse`` reads it). Absent or empty gives ``default``."""
    raw = query.get(name, "")
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(raw.strip())
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise BadParameter(
            name,
            f"expected an ISO 8601 timestamp from 0001-01-01 to 9999-12-31"
            f" such as 2026-01-01T00:00:00Z, got {raw!r}",
        ) from None


# Json.NET, which the extension parses bodies with, refuses JSON nested deeper than this by
# default (MaxDepth); Python's own parser would otherwise fail with a RecursionError.
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _nesting(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: skip the scan
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, what: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, why)`` for text that is not JSON or nests too deeply."""
    depth = _nesting(text)
    if depth > MAX_JSON_DEPTH:
        return None, (
            f"{what}: JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} are taken"
        )
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, (f"{what}: expected JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
