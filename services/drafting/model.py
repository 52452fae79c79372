"""What drafting knows about a database object, as plain frozen data.

``DraftRequest.from_json`` checks the schema-change message; ``ObjectDescription.from_json``
reads a description back from the draft's snapshot (``snapshot``), which stores it so the
final document is rendered from exactly what the approvers saw.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.drafting.errors import InvalidDraftRequest

__all__ = [
    "CHANGE_TYPES",
    "ColumnDescription",
    "DraftRequest",
    "ForeignKeyDescription",
    "IndexDescription",
    "ObjectDescription",
]

CHANGE_TYPES = ("Created", "Altered", "Dropped")
_PHYSICAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$#]*(\.[A-Za-z_][A-Za-z0-9_$#]*)?$")


@dataclass(frozen=True)
class DraftRequest:
    """The schema-change message, as far as drafting needs it."""

    document_id: str
    physical_name: str
    database_name: str
    change_type: str
    requested_by: str
    revision: int = 1  # the document's revision this draft is for

    @classmethod
    def from_json(cls, value: Any) -> DraftRequest:
        """Check and convert the message; each problem names the field and what was expected."""
        if not isinstance(value, dict):
            raise InvalidDraftRequest("draft request must be a JSON object")
        document_id = _text(value, "documentId")
        try:
            uuid.UUID(document_id)
        except ValueError as error:
            raise InvalidDraftRequest(f"documentId {document_id!r} is not a UUID") from error
        physical_name = _text(value, "physicalName")
        if not _PHYSICAL_NAME.match(physical_name):
            raise InvalidDraftRequest(
                f"physicalName {physical_name!r} is not 'schema.name' or 'name' "
                "(letters, digits, _ $ #)"
            )
        change_type = _text(value, "changeType")
        if change_type not in CHANGE_TYPES:
            raise InvalidDraftRequest(
                f"changeType {change_type!r} is not one of {', '.join(CHANGE_TYPES)}"
            )
        revision = value.get("revision", 1)
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
            raise InvalidDraftRequest(f"revision {revision!r} is not an integer >= 1")
        return cls(
            document_id=document_id.lower(),
            physical_name=physical_name,
            database_name=_text(value, "databaseName"),
            change_type=change_type,
            requested_by=_text(value, "requestedBy"),
            revision=revision,
        )


@dataclass(frozen=True)
class ColumnDescription:
    name: str
    type: str
    nullable: bool
    default: str | None = None
    description: str | None = None
    autoincrement: bool = False


@dataclass(frozen=True)
class ForeignKeyDescription:
    name: str | None
    columns: tuple[str, ...]
    referred_object: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class IndexDescription:
    name: str | None
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class ObjectDescription:
    """An object as reflected (``exists``) or as last known from the data dictionary."""

    database: str
    physical_name: str
    kind: str  # table, view, or a kind declared in the data dictionary (e.g. sequence)
    exists: bool
    description: str | None = None
    columns: tuple[ColumnDescription, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKeyDescription, ...] = ()
    indexes: tuple[IndexDescription, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ObjectDescription:
        return cls(
            database=value["database"],
            physical_name=value["physical_name"],
            kind=value["kind"],
            exists=value["exists"],
            description=value["description"],
            columns=tuple(ColumnDescription(**c) for c in value["columns"]),
            primary_key=tuple(value["primary_key"]),
            foreign_keys=tuple(
                ForeignKeyDescription(
                    name=f["name"],
                    columns=tuple(f["columns"]),
                    referred_object=f["referred_object"],
                    referred_columns=tuple(f["referred_columns"]),
                )
                for f in value["foreign_keys"]
            ),
            indexes=tuple(
                IndexDescription(name=i["name"], columns=tuple(i["columns"]), unique=i["unique"])
                for i in value["indexes"]
            ),
            notes=tuple(value["notes"]),
        )


def _text(value: dict[str, Any], name: str) -> str:
    text = value.get(name)
    if not isinstance(text, str) or not text.strip():
        raise InvalidDraftRequest(f"{name} is required and must be a non-empty string")
    return text.strip()
