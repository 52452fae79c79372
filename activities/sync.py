"""The scheduled-sync example's activities (``workflows/scheduled-sync.json``): count a source
table's rows, then record the run."""

from __future__ import annotations

from typing import Any

from runtime import runtime
from services.errors import InvalidInput
from services.records import sync_runs
from wire import to_json

from ._blueprint import Step, blueprint


def _text(data: Any, name: str) -> str:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise InvalidInput(name, "expected a non-empty string")
    return value


@blueprint.activity_trigger(input_name="source")
def read_sync_source(source: Any) -> dict[str, Any]:
    """Count the rows of a table or view in a source database (``SOURCE_DATABASES``)."""
    database, physical_name = _text(source, "database"), _text(source, "physicalName")
    engine = runtime().adapters.sources.engine(database)
    return {
        "database": database,
        "physicalName": physical_name,
        "rowCount": sync_runs.count_rows(engine, database, physical_name),
    }


@blueprint.activity_trigger(input_name="run")
def record_sync_run(run: Any) -> dict[str, Any]:
    """Record the run once per instance and say how the row count moved since the last run."""
    step = Step.of(run)
    recorded = sync_runs.record_sync_run(
        step.db,
        instance_id=step.text("instanceId"),
        database=step.text("database"),
        physical_name=step.text("physicalName"),
        row_count=step.data.get("rowCount"),
        at=step.at,
    )
    return to_json(recorded)
