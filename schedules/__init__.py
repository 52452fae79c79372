"""Scheduled workflows as data: schedule entries, the sync items a timer tick makes of them,
and where they are kept. ``ingress.scheduled`` holds the timer and queue triggers that use it.

The document format (``schedules/schedules.json``, blobs in ``workflow-schedules``) is
described in ``docs/schedules.md``; ``python -m schedules validate`` checks documents.
"""

from schedules.cron import Cron, CronError, parse_cron
from schedules.model import (
    INSTANCE_DATE_FORMAT,
    BadSyncItem,
    Rejection,
    Schedule,
    SyncItem,
    parse_entry,
    parse_schedules_document,
    parse_sync_item,
)
from schedules.sources import LoadedSchedules, load_schedules
from schedules.ticks import due_items, tick_time

__all__ = [
    "INSTANCE_DATE_FORMAT",
    "BadSyncItem",
    "Cron",
    "CronError",
    "LoadedSchedules",
    "Rejection",
    "Schedule",
    "SyncItem",
    "due_items",
    "load_schedules",
    "parse_cron",
    "parse_entry",
    "parse_schedules_document",
    "parse_sync_item",
    "tick_time",
]
