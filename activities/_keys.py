"""The idempotency key of a generic activity's step: derived from ``instanceId`` and ``step``,
which the activities that change something take (docs/workflow-language.md, Activities)."""

from __future__ import annotations

from typing import Any

from services import derive_id
from services.errors import InvalidInput

__all__ = ["step_key"]


def step_key(data: Any, activity: str) -> str:
    """``derive_id(activity, instanceId, step)``; ``InvalidInput`` names what is missing."""
    if not isinstance(data, dict):
        raise InvalidInput("input", "expected a JSON object")
    for name in ("instanceId", "step"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise InvalidInput(name, "expected a non-empty string")
    return derive_id(activity, data["instanceId"], data["step"])
