"""The JSON workflow language: model, validation, expressions, interpreter and its blueprint.

``orchestration.blueprint`` holds the orchestrator ``workflow`` and the activity
``load_workflow_definition``; register it in any DFApp with
``app.register_functions(orchestration.blueprint)``.
"""

from __future__ import annotations

from typing import Any

from .definition import Definition, content_hash
from .errors import WorkflowError, error_from_failure
from .validation import Diagnostic, validate_document, validate_text

__all__ = [
    "Definition",
    "Diagnostic",
    "WorkflowError",
    "blueprint",
    "content_hash",
    "error_from_failure",
    "validate_document",
    "validate_text",
]


def __getattr__(name: str) -> Any:
    # The blueprint imports the Durable SDK; the validator CLI should not have to.
    if name == "blueprint":
        from .registration import blueprint

        return blueprint
    raise AttributeError(f"module 'orchestration' has no attribute {name!r}")
