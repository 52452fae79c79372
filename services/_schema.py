"""The app database's building blocks: the one ``MetaData``, its column types and sizes.

Portable on purpose: it runs on SQLite locally and Azure SQL in Azure, so keys are bounded
``Unicode`` columns (SQL Server cannot index ``NVARCHAR(MAX)``), timestamps are stored as naive
UTC (neither backend keeps a zone reliably), and JSON is canonical text we encode ourselves.
Each domain declares its own tables on this metadata (``services.<domain>.tables``);
``services.db`` creates them all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from services._canonical import canonical_json

__all__ = [
    "DATABASE_LEN",
    "EMAIL_LEN",
    "ID_LEN",
    "INSTANCE_LEN",
    "NAME_LEN",
    "OBJECT_LEN",
    "ROLE_LEN",
    "JsonText",
    "UtcDateTime",
    "metadata",
]

# Named constraints: SQL Server needs stable names to ever alter or drop them.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive in UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # SQL Server's DATETIME rounds to 3.33 ms; DATETIME2(6) keeps what we stored.
        if dialect.name == "mssql":
            return dialect.type_descriptor(mssql.DATETIME2(precision=6))  # type: ignore[no-untyped-call]  # untyped ctor
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class JsonText(sa.TypeDecorator[Any]):
    """JSON stored as canonical text, identical on every backend (hashes depend on it)."""

    impl = sa.UnicodeText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else canonical_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


ID_LEN = 64  # uuids, hashes and derived keys
NAME_LEN = 200  # people, event types, queues
ROLE_LEN = 100  # approver roles
DATABASE_LEN = 128  # SQL Server's sysname
EMAIL_LEN = 254  # RFC 5321 path limit
OBJECT_LEN = 256  # schema-qualified object names
INSTANCE_LEN = 256  # Durable instance ids
