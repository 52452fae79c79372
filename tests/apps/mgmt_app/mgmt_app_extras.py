"""Test-only functions of the management app."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

blueprint = df.Blueprint()


@blueprint.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext) -> None:
    value = context.get_state(lambda: 0)
    if context.operation_name == "add":
        value += context.get_input()
    context.set_state(value)
    context.set_result(value)


@blueprint.orchestration_trigger(context_name="context")
def stalled(context: df.DurableOrchestrationContext) -> Generator[Any, Any, None]:
    """Custom status as the interpreter writes it while waiting with a deadline, then a wait
    that nothing ends: what an instance whose deadline timer never fired looks like."""
    given = context.get_input()
    context.set_custom_status(
        {
            "workflow": "stalled",
            "version": "1.0.0",
            "state": "Wait",
            "waitingFor": "approval",
            "deadline": given["deadline"],
        }
    )
    yield context.wait_for_external_event("never")
