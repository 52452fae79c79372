"""The stuck-instance monitor's rule and scan.

A Running instance is stuck when

- it waits on a deadline (custom status ``deadline``) that passed more than ``grace`` ago: a
  timer that should have fired and moved it on did not; or
- it waits on no deadline and was created more than ``after`` ago (default 50 h, beyond the
  longest SLA plus its escalation): it waits for an event that may never come, or loops.

An instance waiting for a deadline still in the future is never stuck, however old: that is
the SLA at work. Pending, Suspended and ended instances are not looked at (suspension is a
person's decision). ``now`` is the monitor's clock: the timer's own time, so devhost's virtual
clock drives it in tests.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestration.timeutil import format_timestamp, parse_duration

from .durable_http import DurableHttp
from .errors import DurableUnreachable
from .instances import Filters, instance_view, matching

__all__ = ["REPORT_BLOB", "REPORT_CONTAINER", "StuckRules", "scan", "stuck_reason"]

log = logging.getLogger(__name__)

REPORT_CONTAINER = "operations"
REPORT_BLOB = "stuck-instances.json"
MAX_LISTED = 1000
_PAGE = 500


@dataclass(frozen=True)
class StuckRules:
    after: timedelta
    grace: timedelta

    @classmethod
    def from_settings(cls, settings: Any) -> StuckRules:
        return cls(
            after=parse_duration(settings.get("STUCK_AFTER") or "PT50H"),
            grace=parse_duration(settings.get("STUCK_GRACE") or "PT1H"),
        )


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stuck_reason(view: dict[str, Any], now: datetime, rules: StuckRules) -> str | None:
    """Why the instance (an ``instance_view``) is stuck, or None."""
    if view.get("runtimeStatus") != "Running":
        return None
    deadline = _moment(view.get("deadline"))
    if deadline is not None:
        late = now - deadline
        if late > rules.grace:
            return (
                f"its deadline {view['deadline']} passed {_hours(late)} ago (grace "
                f"{_hours(rules.grace)})"
            )
        return None
    created = _moment(view.get("createdTime"))
    if created is not None and now - created > rules.after:
        waiting = view.get("waitingFor")
        what = f"waiting for {waiting!r} with no deadline" if waiting else "with no deadline"
        return f"running for {_hours(now - created)} {what} (limit {_hours(rules.after)})"
    return None


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


async def _running(durable: DurableHttp) -> AsyncIterator[dict[str, Any]]:
    token: str | None = None
    while True:
        answer = await durable.query({"runtimeStatus": "Running"}, _PAGE, token)
        if answer.status != 200 or not isinstance(answer.body, list):
            raise DurableUnreachable(f"the instance query answered {answer.status}")
        for status in answer.body:
            if matching(status, Filters()):
                yield status
        token = answer.continuation
        if token is None:
            return


async def scan(durable: DurableHttp, now: datetime, rules: StuckRules) -> dict[str, Any]:
    """Every stuck instance now (at most ``MAX_LISTED`` listed; ``count`` counts all)."""
    found: list[dict[str, Any]] = []
    count = 0
    async for status in _running(durable):
        view = instance_view(status, summary=True)
        reason = stuck_reason(view, now, rules)
        if reason is None:
            continue
        count += 1
        log.warning(
            "stuck instance %s (workflow %s, state %s): %s",
            view["instanceId"],
            view["workflow"],
            view["state"],
            reason,
            extra={"instanceId": view["instanceId"], "workflow": view["workflow"]},
        )
        if len(found) < MAX_LISTED:
            found.append({**view, "reason": reason})
    return {
        "scannedAt": format_timestamp(now),
        "after": format_duration(rules.after),
        "grace": format_duration(rules.grace),
        "count": count,
        "instances": found,
    }


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"
