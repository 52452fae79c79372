"""The app database as a whole: every domain's tables created on one ``MetaData``, and the
schema's own version, so a database made by an older release is refused with a clear message.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

# Importing the domains' tables declares them on the metadata that init_schema creates.
from services._schema import JsonText, UtcDateTime, metadata
from services.approval import tables as approval_tables
from services.claims import tables as claims_tables
from services.records import tables as records_tables

__all__ = [
    "SCHEMA_VERSION",
    "JsonText",
    "SchemaOutdated",
    "UtcDateTime",
    "approval_tables",
    "claims_tables",
    "init_schema",
    "metadata",
    "records_tables",
]

# --- the schema's own version, so an older database is refused with a clear message ---------

SCHEMA_VERSION = 2  # 2: document revisions
app_schema = sa.Table(
    "app_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
)


class SchemaOutdated(RuntimeError):
    """The app database was created by an older release; it is not migrated in place."""


def _check_version(engine: Engine) -> None:
    with engine.begin() as conn:
        found = conn.execute(sa.select(sa.func.max(app_schema.c.version))).scalar()
        if found is None:
            older = sa.inspect(conn).has_table("documents") and "revision" not in {
                c["name"] for c in sa.inspect(conn).get_columns("documents")
            }
            if not older:
                conn.execute(sa.insert(app_schema).values(version=SCHEMA_VERSION))
                return
            found = 1
    if found != SCHEMA_VERSION:
        raise SchemaOutdated(
            f"the app database {engine.url.render_as_string(hide_password=True)} has schema "
            f"version {found}; this release needs version {SCHEMA_VERSION} (document "
            f"revisions). Locally, `make clean` starts over; see docs/deploy.md for Azure SQL."
        )


def init_schema(engine: Engine, attempts: int = 3) -> None:
    """Create missing tables; safe to call on every start, also from several workers at once."""
    for attempt in range(1, attempts + 1):
        try:
            metadata.create_all(engine, checkfirst=True)
            _check_version(engine)
            return
        except DBAPIError:
            # Another worker created a table between our check and our CREATE: look again.
            if attempt == attempts:
                raise
            time.sleep(0.1 * attempt)
