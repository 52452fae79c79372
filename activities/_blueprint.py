"""The activities' blueprint and ``Step``, what every activity starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from adapters import Adapters
from orchestration.checked_blueprint import CheckedBlueprint
from runtime import Runtime, runtime
from services import append_next, derive_id, parse_timestamp
from services.errors import InvalidInput

__all__ = ["Step", "blueprint"]

# Every activity's input is checked against activities/schemas/<name>.json before it runs.
blueprint = CheckedBlueprint()


@dataclass(frozen=True)
class Step:
    """One activity call: its JSON input, the process's runtime, and ``at``, the
    orchestration's time of the step (so a retry writes the same timestamps)."""

    data: Mapping[str, Any]
    rt: Runtime
    at: datetime

    @classmethod
    def of(cls, value: Any) -> Step:
        if not isinstance(value, Mapping):
            raise InvalidInput("input", f"expected a JSON object, got {type(value).__name__}")
        return cls(value, runtime(), parse_timestamp(value.get("at"), "at"))

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(name, "expected a non-empty string")
        return value

    @property
    def document_id(self) -> str:
        return self.text("documentId")

    @property
    def adapters(self) -> Adapters:
        return self.rt.adapters

    @property
    def db(self) -> Engine:
        return self.rt.adapters.database

    def record(self, event_type: str, data: Any, key: str = "") -> None:
        """Append a business event to the document's audit trail, once per (type, key)."""
        document_id = self.document_id
        append_next(self.db, document_id, event_id=derive_id(document_id, event_type, key),
                    event_type=event_type, data=data, now=self.at)
