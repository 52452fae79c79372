"""Errors raised by the adapters, so callers can map them without knowing the client library.

AdapterError
├ AdapterConfigurationError   a setting or argument is missing or malformed
├ NotFoundError               the blob, file or version does not exist
│ └ UnknownDatabase           a database name not in SOURCE_DATABASES
└ RemoteServiceError          the outside system answered with an error (status, body)
"""

from __future__ import annotations

__all__ = [
    "AdapterConfigurationError",
    "AdapterError",
    "NotFoundError",
    "RemoteServiceError",
    "UnknownDatabase",
]


class AdapterError(Exception):
    """Base of every error an adapter raises on purpose."""


class AdapterConfigurationError(AdapterError, ValueError):
    """A setting or argument is missing or malformed; the message names it."""


class NotFoundError(AdapterError, LookupError):
    """The named blob, library file or version does not exist."""


class UnknownDatabase(NotFoundError):
    """A message names a source database that is not configured; not worth retrying."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"databaseName {name!r} is not a configured source database; expected one of "
            f"{', '.join(sorted(known)) or '(none: set SOURCE_DATABASES)'}"
        )
        self.name = name
        self.known = sorted(known)


class RemoteServiceError(AdapterError):
    """An outside service refused a request; keeps the status and body for the log."""

    def __init__(self, service: str, status: int, body: str) -> None:
        super().__init__(f"{service} answered HTTP {status}: {body[:500]}")
        self.service = service
        self.status = status
        self.body = body
