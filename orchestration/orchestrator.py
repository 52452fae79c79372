"""The generic orchestrator body: load the pinned definition once, then interpret it."""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from . import _telemetry, events
from .errors import DEFINITION_CHANGED, INPUT_INVALID, WorkflowError, error_from_failure
from .interpreter import Interpreter
from .program import load_program

__all__ = ["LOADER_ACTIVITY", "WorkflowRequest", "run_workflow"]

log = logging.getLogger(__name__)

LOADER_ACTIVITY = "load_workflow_definition"


@dataclass(frozen=True)
class WorkflowRequest:
    """The orchestrator input ``{"workflow", "version"?, "input", "hash"?}``."""

    workflow: str
    version: str | None
    input: Any
    hash: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> WorkflowRequest:
        if not isinstance(data, dict):
            raise WorkflowError(
                INPUT_INVALID,
                "orchestrator input must be an object "
                '{"workflow": "<name>", "version": "<semver>" (optional), "input": {...}}',
            )
        name = data.get("workflow")
        if not isinstance(name, str) or not name:
            raise WorkflowError(
                INPUT_INVALID,
                "orchestrator input field 'workflow' must be the "
                "name of a definition (a non-empty string)",
            )
        version = data.get("version")
        if version is not None and not isinstance(version, str):
            raise WorkflowError(
                INPUT_INVALID,
                "orchestrator input field 'version' must be a string such as '1.0.0' or 'latest'",
            )
        pinned = data.get("hash")
        if pinned is not None and not isinstance(pinned, str):
            raise WorkflowError(INPUT_INVALID, "orchestrator input field 'hash' must be a string")
        return cls(name, version, data.get("input"), pinned)


def run_workflow(context: Any) -> Generator[Any, Any, Any]:
    """Body of the orchestrator ``workflow``. Raises ``"<error>: <cause>"`` to end Failed."""
    events.install(context)
    request = WorkflowRequest.from_json(context.get_input())
    context.set_custom_status(
        {"workflow": request.workflow, "version": request.version or "latest", "state": None}
    )
    try:
        loaded = yield context.call_activity(
            LOADER_ACTIVITY, {"workflow": request.workflow, "version": request.version}
        )
    except Exception as exc:
        raise error_from_failure(exc) from None
    try:
        program = load_program(loaded)
    except ValueError as exc:
        raise WorkflowError(
            INPUT_INVALID, f"the loader returned an unusable definition: {exc}"
        ) from None
    definition = program.definition
    if request.hash is not None and request.hash != definition.hash:
        raise WorkflowError(
            DEFINITION_CHANGED,
            f"{definition.name} {definition.version} now has "
            f"hash {definition.hash}, the request pinned {request.hash}",
        )
    started = context.current_utc_datetime
    try:
        output = yield from Interpreter(context, program).run(request.input)
    except WorkflowError as error:
        _ended(context, definition.name, "Failed", started, error.name)
        raise
    _ended(context, definition.name, "Completed", started)
    return output


def _ended(context: Any, workflow: str, outcome: str, started: Any, error: str = "") -> None:
    """Count the end and log it with the instance id and workflow, once (not on replays)."""
    if context.is_replaying:
        return
    seconds = (context.current_utc_datetime - started).total_seconds()
    _telemetry.workflow_ended(workflow, outcome, seconds)
    log.info(
        "workflow %s instance %s ended %s%s after %.0f s",
        workflow,
        context.instance_id,
        outcome,
        f" ({error})" if error else "",
        seconds,
        extra={"instanceId": context.instance_id, "workflow": workflow, "outcome": outcome},
    )
