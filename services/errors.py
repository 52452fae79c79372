"""The errors of the approval services, one hierarchy that activities and the HTTP layer map.

Each error carries the HTTP status the API answers with and a problem ``title``; activities let
them propagate, so the workflow sees the class name as the error name (``DecisionConflict``)::

    ServiceError                 base of everything raised on purpose here
    ├ InvalidInput        400    bad input: the message names the field and what was expected
    ├ PolicyInvalid       500    the approval policy (file or tables) is unusable
    ├ NotFound            404    no such document, message, request or index entry
    ├ TokenInvalid        400    approval token tampered, garbage, or naming nothing we issued
    ├ Forbidden           403    the signed-in principal is not the token's approver
    ├ Gone                410    past the deadline, or the document's approval has ended
    └ Conflict            409
      ├ DecisionConflict         a different decision for a request that is already decided
      ├ ConcurrencyConflict      a stale expected version: someone else appended first
      └ IdempotencyMismatch      a write repeated with the same key but different content
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ConcurrencyConflict",
    "Conflict",
    "DecisionConflict",
    "Forbidden",
    "Gone",
    "IdempotencyMismatch",
    "InvalidInput",
    "NotFound",
    "PolicyInvalid",
    "ServiceError",
    "TokenInvalid",
]


class ServiceError(Exception):
    """Base class: a failure a caller can act on, with an HTTP status and a problem title."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Service error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def code(self) -> str:
        """The error name the workflow sees (the class name, as activities report it)."""
        return type(self).__name__

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 ``application/problem+json`` body for this error."""
        problem: dict[str, Any] = {
            "type": f"urn:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            problem["instance"] = instance
        return problem


class InvalidInput(ServiceError):
    """Input that does not have the expected shape; ``field`` names the offending field."""

    status = 400
    title = "Invalid input"

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")
        self.field = field


class PolicyInvalid(ServiceError):
    """The approval policy cannot be used; the message names the field."""

    title = "Approval policy invalid"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class TokenInvalid(ServiceError):
    status = 400
    title = "Invalid approval token"


class Forbidden(ServiceError):
    status = 403
    title = "Not the approver of this request"


class Gone(ServiceError):
    status = 410
    title = "Approval closed"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class DecisionConflict(Conflict):
    title = "Already decided differently"


class ConcurrencyConflict(Conflict):
    """The expected version is stale; ``actual`` is the stream's version when we looked."""

    title = "Concurrency conflict"

    def __init__(self, detail: str, expected: int, actual: int) -> None:
        super().__init__(detail)
        self.expected = expected
        self.actual = actual


class IdempotencyMismatch(Conflict):
    title = "Same key, different content"
