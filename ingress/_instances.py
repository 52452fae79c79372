"""What ingress asks of the durable client, and how it reads an instance's runtime status."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["ACTIVE_STATUSES", "InstanceStarter", "runtime_status"]

# An instance in one of these states is at work under its id: a trigger starts nothing then.
ACTIVE_STATUSES = ("Pending", "Running", "Suspended")


class InstanceStarter(Protocol):
    """The two calls of ``DurableOrchestrationClient`` a start-or-skip trigger makes."""

    async def get_status(self, instance_id: str) -> Any: ...

    async def start_new(
        self,
        orchestration_function_name: str,
        instance_id: str | None = None,
        client_input: Any | None = None,
    ) -> str: ...


def runtime_status(status: Any) -> str | None:
    """The instance's runtime status name (``"Running"``); None when there is no instance."""
    value = getattr(status, "runtime_status", None)
    return None if value is None else str(getattr(value, "value", value))
