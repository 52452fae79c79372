"""Device events in the app database and the settings of a device's batch window.

Each event is stored once, keyed by its event id, together with the batch (a window of one
workflow run) that stored it: a batch that runs again stores nothing new, and undoing a batch
removes exactly the rows it stored, never an event an earlier batch had already stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from orchestration.timeutil import parse_duration  # the workflow language's durations
from services.errors import InvalidInput
from settings import Settings

__all__ = ["DeviceSettings", "device_settings"]


@dataclass(frozen=True)
class DeviceSettings:
    events_limit: int
    batch_size: int
    batch_window: str
    batch_window_length: timedelta


def _positive(settings: Settings, name: str) -> int:
    text = (settings.get(name) or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(name, f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def device_settings(settings: Settings) -> DeviceSettings:
    """The device settings, each checked; ``InvalidInput`` names a bad one."""
    window = (settings.get("DEVICE_BATCH_WINDOW") or "").strip()
    try:
        length = parse_duration(window)
    except (ValueError, OverflowError) as error:
        raise InvalidInput("DEVICE_BATCH_WINDOW", str(error)) from None
    if length <= timedelta(0):
        raise InvalidInput("DEVICE_BATCH_WINDOW", f"expected a positive duration, got {window!r}")
    return DeviceSettings(events_limit=_positive(settings, "DEVICE_EVENTS_LIMIT"),
                          batch_size=_positive(settings, "DEVICE_BATCH_SIZE"),
                          batch_window=window, batch_window_length=length)
