"""The scheduled-sync example's two steps: count a source table's rows, then record the run.

Small on purpose; what it shows is the scheduling around it. A run is keyed by its instance id,
so a retried step records it once, and each run says how the count moved since the previous
run on the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, NoSuchTableError

from services._input import required_text
from services._time import utc
from services.drafting.errors import UnknownObject
from services.drafting.reflection import local_name
from services.errors import IdempotencyMismatch, InvalidInput
from services.records import tables

__all__ = ["SyncRun", "count_rows", "record_sync_run"]


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One recorded run and how the table's row count moved since the run before it (None for
    the first run on the table)."""

    database: str
    physical_name: str
    row_count: int
    previous_row_count: int | None
    change: int | None
    run_at: datetime


def count_rows(engine: Engine, database: str, physical_name: str) -> int:
    """Rows of ``physical_name`` (``schema.name``) in the source database; ``UnknownObject``
    when there is no such table or view."""
    schema, name = local_name(engine, physical_name)
    try:
        table = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=engine)
    except NoSuchTableError:
        raise UnknownObject(database, physical_name, name) from None
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def record_sync_run(
    engine: Engine,
    *,
    instance_id: str,
    database: str,
    physical_name: str,
    row_count: Any,
    at: datetime,
) -> SyncRun:
    """Record one run (once per instance id) and compare it with the previous one."""
    runs = tables.sync_runs
    instance_id = required_text(instance_id, "instanceId", runs.c.instance_id)
    database = required_text(database, "database", runs.c.database_name)
    physical_name = required_text(physical_name, "physicalName", runs.c.physical_name)
    if isinstance(row_count, bool) or not isinstance(row_count, int) or row_count < 0:
        raise InvalidInput("rowCount", "expected a whole number of rows, 0 or more")
    row = {
        "instance_id": instance_id,
        "database_name": database,
        "physical_name": physical_name,
        "row_count": row_count,
        "run_at": utc(at, "at"),
    }
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(runs).values(**row))
    except IntegrityError:
        pass  # an earlier attempt recorded this run; checked to be the same run below
    with engine.connect() as conn:
        stored = conn.execute(sa.select(runs).where(runs.c.instance_id == instance_id)).one()
        previous = conn.execute(
            sa.select(runs.c.row_count)
            .where(
                runs.c.database_name == database,
                runs.c.physical_name == physical_name,
                runs.c.run_at < stored.run_at,
            )
            .order_by(runs.c.run_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    if (stored.database_name, stored.physical_name, stored.row_count) != (
        database,
        physical_name,
        row_count,
    ):
        raise IdempotencyMismatch(
            f"instanceId {instance_id!r}: this run was recorded with other values"
        )
    return SyncRun(
        database=database,
        physical_name=physical_name,
        row_count=row_count,
        previous_row_count=previous,
        change=None if previous is None else row_count - previous,
        run_at=stored.run_at,
    )
