"""The blueprint any DFApp registers: orchestrator ``workflow`` and its loader activity."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df  # type: ignore[import-untyped, unused-ignore]  # untyped SDK

from .checked_blueprint import CheckedBlueprint
from .orchestrator import run_workflow

__all__ = ["blueprint"]

# The loader's input is checked against activities/schemas/load_workflow_definition.json.
blueprint = CheckedBlueprint()


@blueprint.orchestration_trigger(context_name="context")
def workflow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Run the JSON workflow named in the input (see docs/workflow-language.md)."""
    return (yield from run_workflow(context))


@blueprint.activity_trigger(input_name="request")
def load_workflow_definition(request: dict[str, Any]) -> dict[str, Any]:
    """Load, validate and pin a definition: ``{"workflow", "version"?}`` -> name, version,
    hash and the definition itself."""
    from . import _telemetry
    from .sources import load_requested

    loaded = load_requested(request)
    _telemetry.workflow_started(loaded["name"])
    return loaded
