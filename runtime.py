"""What the app's functions share in one process: settings, adapters, signing keys, policy.

Built on first use and kept for the life of the worker process (the Functions host reuses
it across invocations), so each activity, trigger and API call pays for clients and the
schema check once. Tests that need a fresh one call ``reset()``.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import services
from adapters import Adapters, build_adapters
from services import SigningKeys
from settings import Settings, load

__all__ = ["Runtime", "reset", "runtime"]

_lock = threading.Lock()


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    adapters: Adapters
    keys: SigningKeys

    @property
    def public_base_url(self) -> str:
        return self.settings.public_base_url()


@functools.cache
def _build() -> Runtime:
    current = load()
    adapters = build_adapters(current)
    services.initialize(adapters.database, Path(current.require("APPROVAL_POLICY_FILE")))
    return Runtime(settings=current, adapters=adapters,
                   keys=SigningKeys.parse(current.get("APPROVAL_SIGNING_KEYS")))


def runtime() -> Runtime:
    with _lock:  # activities run on several threads; build exactly once
        return _build()


def reset() -> None:
    with _lock:
        _build.cache_clear()
