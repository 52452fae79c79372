"""The activities' blueprint and the few helpers every activity uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from runtime import Runtime, runtime
from services import append_next, derive_id, parse_timestamp
from services.errors import InvalidInput

__all__ = ["blueprint", "field", "moment", "payload", "record"]

blueprint = df.Blueprint()


def payload(value: Any) -> Mapping[str, Any]:
    """The activity input, which the workflow always sends as a JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidInput("input", f"expected a JSON object, got {type(value).__name__}")
    return value


def field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(name, "expected a non-empty string")
    return value


def moment(data: Mapping[str, Any]) -> datetime:
    """``at``: the orchestration's time of the step, so a retry writes the same timestamps."""
    return parse_timestamp(data.get("at"), "at")


def record(rt: Runtime, document_id: str, event_type: str, data: Any, at: datetime,
           key: str = "") -> None:
    """Append a business event to the document's audit trail, once per (type, key)."""
    append_next(rt.adapters.database, document_id,
                event_id=derive_id(document_id, event_type, key), event_type=event_type,
                data=data, now=at)


def current() -> Runtime:
    return runtime()
