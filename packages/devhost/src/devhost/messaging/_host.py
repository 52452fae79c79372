"""What the messaging subsystem needs from devhost's Host (a structural type, to stay decoupled).

Also the helpers every listener shares: ``%setting%`` references in binding values and typed
reads of ``host.json`` extension sections, with errors that name the field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from azure.functions.meta import Datum

from devhost.messaging.config import parse_duration
from devhost.messaging.errors import ConfigError

__all__ = ["ClockLike", "Extension", "FunctionLike", "HostLike", "invoke", "resolve"]


class ClockLike(Protocol):
    is_virtual: bool

    def now(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None: ...


class FunctionLike(Protocol):
    name: str
    trigger: dict[str, Any]
    bindings: list[dict[str, Any]]


class HostLike(Protocol):
    app_dir: Path
    data_dir: Path
    settings: dict[str, str]
    host_json: dict[str, Any]
    clock: Any  # ClockLike; the lead's Clock class satisfies it
    functions: list[Any]  # FunctionLike

    async def invoke(
        self,
        fn: Any,
        trigger: Datum | None = None,
        trigger_metadata: dict[str, Datum] | None = None,
    ) -> Any: ...

    def register_output(
        self, binding_type: str, sink: Callable[[dict[str, Any], Datum], Awaitable[None]]
    ) -> None: ...

    def register_trigger(self, binding_type: str, factory: Callable[[Any, Any], Any]) -> None: ...

    def add_routes(self, routes: list[Any]) -> None: ...

    def add_busy_probe(self, probe: Callable[[], bool]) -> None: ...

    def add_stop_hook(self, hook: Callable[[], Awaitable[None] | None]) -> None: ...


async def invoke(
    host: HostLike, fn: Any, data: Datum | None, metadata: dict[str, Datum] | None = None
) -> Any:
    """Call ``fn`` through the host (which also fills its ``durableClient`` inputs)."""
    return await host.invoke(fn, data, metadata)


_SETTING_REF = re.compile(r"%([A-Za-z0-9_:.\-]+)%")


def resolve(value: Any, settings: dict[str, str], where: str) -> str:
    """Replace ``%NAME%`` with app setting NAME, as the host does for binding properties."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise ConfigError(f"{where}: app setting {name!r} referenced as %{name}% is not set")
        return settings[name]

    return _SETTING_REF.sub(setting, value)


class Extension:
    """Typed reads of ``host.json`` ``extensions.<name>`` (``Extension(host, "queues")``)."""

    def __init__(self, host: HostLike, name: str) -> None:
        section = host.host_json.get("extensions", {}).get(name, {})
        self.section = section if isinstance(section, dict) else {}
        self.where = f"host.json extensions.{name}"

    def integer(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(
                f"{self.where}.{key}: expected an integer >= {minimum}, got {value!r}"
            )
        return value

    def duration(self, key: str, default: str) -> timedelta:
        return parse_duration(self.section.get(key, default), f"{self.where}.{key}")
