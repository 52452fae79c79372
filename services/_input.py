"""Checks of caller input that several services share; each error names the field."""

from __future__ import annotations

import sqlalchemy as sa

from services.errors import InvalidInput


def required_text(value: object, field: str, column: sa.Column[str] | None = None) -> str:
    """``value`` trimmed, if it is a non-empty string that fits ``column`` (when given).

    Checking the length here turns SQL Server's "string would be truncated" (SQLite has no
    limit, so it would pass locally) into a 400 that names the field.
    """
    limit = getattr(column.type, "length", None) if column is not None else None
    if not isinstance(value, str) or not value.strip() or (limit and len(value.strip()) > limit):
        bound = f" of at most {limit} characters" if limit else ""
        raise InvalidInput(field, f"expected a non-empty string{bound}")
    return value.strip()
