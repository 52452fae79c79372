"""Failing adapters on demand, for tests that run the app in this process.

``Faults(runtime)`` wraps the app's real adapters where they are used (the instance's own
methods), so an armed fault makes the next calls fail the way the outside system would: mail
and blob storage with ``RemoteServiceError`` (retried by the workflow's policy), the library
with an ``OSError``, the app database with SQLAlchemy's ``OperationalError`` raised before the
statement runs. Disarmed, every call goes to the real adapter unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from adapters.errors import RemoteServiceError

__all__ = ["KINDS", "Faults"]

KINDS = ("mail", "blob", "library", "database")
_METHODS = {
    "mail": ("send",),
    "blob": ("put", "get", "delete"),
    "library": ("upload", "remove_version"),
}


class Faults:
    """Arm a fault for the next ``calls`` calls of one kind of adapter (or until ``heal``)."""

    def __init__(self, runtime: Any) -> None:
        self._left: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()
        self.raised: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.attach(runtime)

    def attach(self, runtime: Any) -> None:
        """Wrap ``runtime``'s adapters (again after the app's runtime was rebuilt)."""
        adapters = runtime.adapters
        for kind, target in (
            ("mail", adapters.mail),
            ("blob", adapters.blobs),
            ("library", adapters.library),
        ):
            for name in _METHODS[kind]:
                setattr(target, name, self._wrap(kind, getattr(target, name)))
        sa.event.listen(adapters.database, "before_cursor_execute", self._before_statement)

    def arm(self, kind: str, calls: int) -> None:
        with self._lock:
            self._left[kind] = calls

    def heal(self) -> None:
        with self._lock:
            self._left = dict.fromkeys(KINDS, 0)

    def _take(self, kind: str) -> bool:
        with self._lock:
            if self._left[kind] <= 0:
                return False
            self._left[kind] -= 1
            self.raised[kind] += 1
            return True

    def _wrap(self, kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._take(kind):
                if kind == "library":
                    raise OSError(f"injected: the library is unavailable ({real.__name__})")
                raise RemoteServiceError(f"injected {kind} outage", 503, real.__name__)
            return real(*args, **kwargs)

        return call

    def _before_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._take("database"):
            raise OperationalError(statement, None, Exception("injected: database is locked"))
