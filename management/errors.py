"""Errors of the management API, each with its HTTP status (on ``services.ServiceError``).

Hierarchy (``services.errors`` has the base and the shared ones)::

    ServiceError
    ├ InvalidInput (400)        a parameter or body field; names it
    │ └ InputRejected           the workflow's input schema refused the input: every error
    ├ Unauthorized (401)        no signed-in principal, and the route needs a role
    ├ RoleRequired (403)        the principal lacks Workflows.Reader / Workflows.Operator
    ├ NotFound (404)            workflow, version, instance, entity or activity
    ├ Conflict (409)            running instance id taken, version stored with other content
    ├ InstanceGone (410)        the instance is no longer running (or not failed, to rewind)
    ├ TooLarge (413)            a body over the limit
    ├ Unprocessable (422)       a stored definition that does not validate
    │ └ DefinitionRejected      an uploaded definition: every diagnostic
    └ DurableUnreachable (503)  the Durable endpoint did not answer
"""

from __future__ import annotations

from typing import Any, ClassVar

from orchestration.validation import Diagnostic
from services.errors import Conflict, InvalidInput, NotFound, ServiceError

__all__ = [
    "Conflict",
    "DefinitionRejected",
    "DurableUnreachable",
    "InputRejected",
    "InstanceGone",
    "InvalidInput",
    "NotFound",
    "RoleRequired",
    "TooLarge",
    "Unauthorized",
    "Unprocessable",
]


class Unauthorized(ServiceError):
    status: ClassVar[int] = 401
    title: ClassVar[str] = "Sign-in required"


class RoleRequired(ServiceError):
    status: ClassVar[int] = 403
    title: ClassVar[str] = "Role required"


class InstanceGone(ServiceError):
    status: ClassVar[int] = 410
    title: ClassVar[str] = "Instance not running"


class TooLarge(ServiceError):
    status: ClassVar[int] = 413
    title: ClassVar[str] = "Body too large"


class Unprocessable(ServiceError):
    status: ClassVar[int] = 422
    title: ClassVar[str] = "Definition does not validate"


class DurableUnreachable(ServiceError):
    status: ClassVar[int] = 503
    title: ClassVar[str] = "Durable endpoint unavailable"


class InputRejected(InvalidInput):
    """The workflow's input schema refused the input; ``errors`` lists every problem."""

    def __init__(self, workflow: str, errors: list[dict[str, str]]) -> None:
        super().__init__(
            "input",
            f"rejected by the input schema of workflow {workflow!r}: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        )
        self.errors = errors

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return {**super().to_problem(instance), "errors": self.errors}


class DefinitionRejected(Unprocessable):
    """An uploaded definition with errors; the problem lists every diagnostic at once."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(
            f"the definition has {len(errors)} error(s): " + "; ".join(str(d) for d in errors)
        )
        self.diagnostics = diagnostics

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return {
            **super().to_problem(instance),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }
