"""Retry policies: how often, how long between attempts, and for which error names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .errors import NON_RETRYABLE
from .timeutil import parse_duration

__all__ = ["PERMANENT_ERRORS", "RetryPolicy"]

# Errors that no retry can fix (the same input fails the same way): ``"*"`` does not retry
# them; a policy that lists one by name still does. The names are those of the platform's
# generic activities and input checks (Step Functions' States.ALL skips States.Runtime alike).
PERMANENT_ERRORS = frozenset(
    {
        "Input.Invalid",
        "Activity.InputInvalid",
        "Record.Invalid",
        "Record.NotFound",
        "Record.AlreadyExists",
        "Record.VersionConflict",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """``maxAttempts`` counts every attempt, the first included (3 = first try + 2 retries).

    The wait before attempt ``n + 1`` is ``interval * backoffRate ** (n - 1)``, capped at
    ``maxInterval``. Only errors named in ``errors`` are retried; ``"*"`` names every error
    but the :data:`PERMANENT_ERRORS`, which a policy must name to retry, and never one of
    ``NON_RETRYABLE`` (``Activity.InputInvalid``, ``Http.DestinationNotAllowed``: the same
    attempt would be refused the same way, whatever the policy says). An error that asks for
    a longer wait (``Retry-After``) gets it, up to ``maxInterval``.
    """

    max_attempts: int = 3
    interval: timedelta = timedelta(seconds=1)
    backoff_rate: float = 2.0
    max_interval: timedelta | None = None
    errors: tuple[str, ...] = ("*",)

    @classmethod
    def from_json(cls, data: Any) -> RetryPolicy | None:
        if not isinstance(data, dict):
            return None
        return cls(
            max_attempts=int(data.get("maxAttempts", 3)),
            interval=parse_duration(data.get("interval", "PT1S")),
            backoff_rate=float(data.get("backoffRate", 2.0)),
            max_interval=parse_duration(data["maxInterval"]) if "maxInterval" in data else None,
            errors=tuple(data.get("errors", ("*",))),
        )

    def retries(self, error_name: str) -> bool:
        if error_name in NON_RETRYABLE:
            return False
        if error_name in self.errors:
            return True
        return "*" in self.errors and error_name not in PERMANENT_ERRORS

    def delay(self, attempt: int, at_least: timedelta | None = None) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based); ``at_least`` is the wait
        the error asked for."""
        seconds = self.interval.total_seconds() * self.backoff_rate ** (attempt - 1)
        delay = timedelta(seconds=seconds)
        if at_least is not None and at_least > delay:
            delay = at_least
        if self.max_interval is not None and delay > self.max_interval:
            return self.max_interval
        return delay
