"""The master index: one versioned row per documented object."""

from __future__ import annotations

from typing import Any

from services import restore_previous, update_document, update_master_index

from ._blueprint import blueprint, current, field, moment, payload, record


@blueprint.activity_trigger(input_name="entry")
def index_document(entry: Any) -> dict[str, Any]:
    """Record the filed document as the object's next index version (event ``indexed``)."""
    data = payload(entry)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    details = data.get("entry")
    result = update_master_index(
        rt.adapters.database, document_id=document_id,
        database_name=field(data, "databaseName"), physical_name=field(data, "physicalName"),
        entry=details if isinstance(details, dict) else {}, now=at)
    update_document(rt.adapters.database, document_id, {"status": "indexed"}, at)
    record(rt, document_id, "indexed", {"version": result["version"],
                                         "previousVersion": result["previousVersion"]}, at)
    return result


@blueprint.activity_trigger(input_name="indexed")
def restore_index(indexed: Any) -> dict[str, Any]:
    """Compensation of ``index_document``: the previous version is current again
    (event ``index-restored``)."""
    data = payload(indexed)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    result = restore_previous(rt.adapters.database, document_id=document_id, now=at)
    record(rt, document_id, "index-restored", result, at)
    return result
