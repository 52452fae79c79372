"""Errors of the drafting step. Ingress and activities map them to a quarantine or a failure.

DraftingError
├ InvalidDraftRequest   the request or approval record is malformed (names the field)
├ UnknownObject         the object is not in the source database (and was not dropped)
└ DraftNotFound         finalising or reading a draft that is not in blob storage
UnknownDatabase         (from adapters) the database name is not configured
"""

from __future__ import annotations

from adapters.errors import UnknownDatabase

__all__ = [
    "DraftNotFound",
    "DraftingError",
    "InvalidDraftRequest",
    "UnknownDatabase",
    "UnknownObject",
]


class DraftingError(Exception):
    """Base of the errors the drafting step raises on purpose."""


class InvalidDraftRequest(DraftingError, ValueError):
    """A field of the request is missing or has the wrong shape; the message names it."""


class UnknownObject(DraftingError, LookupError):
    """The named table or view does not exist in the named source database."""

    def __init__(self, database: str, physical_name: str, looked_for: str) -> None:
        super().__init__(
            f"physicalName {physical_name!r} is not a table or view in database "
            f"{database!r} (looked for {looked_for!r})"
        )
        self.database = database
        self.physical_name = physical_name


class DraftNotFound(DraftingError, LookupError):
    """The draft (or its snapshot) of a document is not in blob storage."""
