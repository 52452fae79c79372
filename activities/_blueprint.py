"""The activities' blueprint and ``Step``, what every activity starts from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from adapters import Adapters
from orchestration.checked_blueprint import CheckedBlueprint
from runtime import Runtime, runtime
from services import append_in, derive_id, parse_timestamp
from services._transaction import in_transaction
from services.approval.documents import apply_changes
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

    def at_revision(self, revision: int) -> Step:
        """This step with ``revision`` in its input (the step that numbers the revision)."""
        return replace(self, data={**self.data, "revision": revision})

    @property
    def revision(self) -> int:
        """The document revision this run works on (``register_submission`` numbers it)."""
        value = self.data.get("revision")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidInput("revision", "expected the document revision, an integer >= 1")
        return value

    def event_id(self, event_type: str, key: str = "") -> str:
        return derive_id(self.document_id, self.revision, event_type, key)

    def record(self, event_type: str, data: dict[str, Any], key: str = "") -> None:
        """Append a business event to the document's audit trail, once per (type, key)."""
        self.commit(None, event_type, data, key)

    def commit(
        self,
        changes: Mapping[str, Any] | None,
        event_type: str,
        data: dict[str, Any],
        key: str = "",
        also: Callable[[Connection], None] | None = None,
    ) -> None:
        """Apply ``changes`` to the document's current revision and record the event that
        says so, in one transaction: the trail never tells of a change that did not happen.
        ``also`` runs first in the same transaction (another service's write)."""
        document_id, revision = self.document_id, self.revision
        event = {**data, "revision": revision}

        def work(conn: Connection) -> None:
            if also is not None:
                also(conn)
            if changes:
                apply_changes(conn, document_id, changes, self.at, revision=revision)
            append_in(
                conn,
                document_id,
                event_id=self.event_id(event_type, key),
                event_type=event_type,
                data=event,
                now=self.at,
            )

        in_transaction(self.db, work)
