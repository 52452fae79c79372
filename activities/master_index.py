"""The master index: one versioned row per documented object."""

from __future__ import annotations

from typing import Any

from services import restore_previous, update_master_index
from wire import to_json

from ._blueprint import Step, blueprint


@blueprint.activity_trigger(input_name="entry")
def index_document(entry: Any) -> dict[str, Any]:
    """Record the filed document as the object's next index version (event ``indexed``)."""
    step = Step.of(entry)
    details = step.data.get("entry")
    result = update_master_index(
        step.db,
        document_id=step.document_id,
        database_name=step.text("databaseName"),
        physical_name=step.text("physicalName"),
        entry=details if isinstance(details, dict) else {},
        now=step.at,
        revision=step.revision,
    )
    step.commit(
        {"status": "indexed"},
        "indexed",
        {"version": result.version, "previousVersion": result.previous_version},
    )
    return to_json(result)


@blueprint.activity_trigger(input_name="indexed")
def restore_index(indexed: Any) -> dict[str, Any]:
    """Compensation of ``index_document``: the previous version is current again
    (event ``index-restored``)."""
    step = Step.of(indexed)
    result = restore_previous(
        step.db, document_id=step.document_id, now=step.at, revision=step.revision
    )
    restored = to_json(result)
    step.record("index-restored", restored)
    return restored
