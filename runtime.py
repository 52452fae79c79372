"""What the app's functions share in one process: settings, adapters, signing keys, policy.

Built on first use and kept for the life of the worker process (the Functions host reuses
it across invocations), so each activity, trigger and API call pays for clients and the
schema check once. Tests that need a fresh one call ``reset()``.
"""

from __future__ import annotations

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


def _build(current: Settings) -> Runtime:
    adapters = build_adapters(current)
    services.initialize(adapters.database, Path(current.require("APPROVAL_POLICY_FILE")))
    return Runtime(
        settings=current,
        adapters=adapters,
        keys=SigningKeys.parse(current.get("APPROVAL_SIGNING_KEYS")),
    )


_built: tuple[tuple[tuple[str, str | None], ...], Runtime] | None = None


def runtime() -> Runtime:
    """The runtime for the settings in effect. A worker process never sees them change; a
    test process that runs one host after another does, and gets a runtime of its own for
    each (an old one would write to the previous host's database)."""
    global _built
    current = load()
    key = tuple(sorted(current.values.items()))
    with _lock:  # activities run on several threads; build exactly once per settings
        if _built is None or _built[0] != key:
            _built = (key, _build(current))
        return _built[1]


def reset() -> None:
    global _built
    with _lock:
        _built = None
