"""What one timer tick enqueues: for each enabled schedule, its latest occurrence since the
previous tick.

The window is ``(previous tick, this tick]``, whatever lies between: one tick after another
gives each occurrence exactly once; a tick after ten minutes down gives each schedule **one**
item (its latest missed occurrence), not one per missed occurrence, as the Functions host runs a
missed timer once. The very first tick has no previous one and fires only what is due at that
very second, so deploying never replays history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from schedules.model import Schedule, SyncItem

__all__ = ["due_items", "tick_time"]

_NO_STATUS = datetime(1, 1, 2, tzinfo=UTC)  # the host's default DateTime and anything near it


def due_items(
    schedules: Iterable[Schedule], previous: datetime | None, tick: datetime
) -> list[SyncItem]:
    """The items of the occurrences in ``(previous, tick]`` (``[tick, tick]`` without one)."""
    items = []
    for schedule in schedules:
        if not schedule.enabled:
            continue
        latest = schedule.cron.latest_at_or_before(tick)
        if (
            latest is None
            or (previous is None and latest != tick)
            or (previous is not None and latest <= previous)
        ):
            continue
        items.append(schedule.item_at(latest))
    return items


def tick_time(status: Mapping[str, Any] | None, now: datetime) -> datetime:
    """The moment a timer invocation stands for, to the second.

    ``ScheduleStatus.Next`` is the occurrence being fired where the host sends a status
    (devhost always, so the virtual clock reaches here; the Functions host only for monitored
    schedules of a minute or longer, and in a past-due run it is the missed occurrence). The
    Functions host sends none for schedules more often than once a minute: then it is ``now``,
    rounded to the nearest second because the timer may fire a few milliseconds off.
    """
    scheduled = _parse_moment((status or {}).get("Next"))
    moment = scheduled if scheduled is not None else now.astimezone(UTC)
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:  # the host writes its local time, UTC in Azure
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return None if moment < _NO_STATUS else moment
