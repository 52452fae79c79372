"""Business events the workflow itself decides (a compensation finished, a failure)."""

from __future__ import annotations

from typing import Any

from ._blueprint import blueprint, current, field, moment, payload, record


@blueprint.activity_trigger(input_name="event")
def audit_event(event: Any) -> dict[str, Any]:
    """Append ``{"type", "data"}`` to the document's trail, once per (type, key)."""
    data = payload(event)
    rt, at = current(), moment(data)
    document_id, kind = field(data, "documentId"), field(data, "type")
    record(rt, document_id, kind, data.get("data"), at, key=str(data.get("key", "")))
    return {"documentId": document_id, "type": kind}
