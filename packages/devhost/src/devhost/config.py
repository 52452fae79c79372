"""What the Functions host reads at start: host.json and the app settings.

App settings come from ``local.settings.json`` (``Values``) with environment variables winning,
as with ``func start``. Like the Functions host, devhost exports the merged settings to the
process environment so the app reads them the way it does in Azure. ``%NAME%`` references in
host.json are resolved from the settings.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "HostConfig", "load_config"]

_SETTING_REF = re.compile(r"%([A-Za-z0-9_:.\-]+)%")


class ConfigError(Exception):
    """host.json or local.settings.json cannot be used; the message names the file and field."""


@dataclass
class HostConfig:
    host_json: dict[str, Any]
    settings: dict[str, str]
    durable: dict[str, Any] = field(default_factory=dict)

    def durable_int(self, name: str, default: int) -> int:
        value = self.durable.get(name, default)
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"host.json extensions.durableTask.{name}: expected an integer, got {value!r}"
            ) from exc

    @property
    def hub_name(self) -> str:
        return str(self.durable.get("hubName") or "TestHubName")

    @property
    def default_version(self) -> str | None:
        value = self.durable.get("defaultVersion")
        return str(value) if value not in (None, "") else None

    def extension(self, name: str) -> dict[str, Any]:
        section = self.host_json.get("extensions", {}).get(name, {})
        return section if isinstance(section, dict) else {}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a JSON object at the top level")
    return data


def _resolve(value: Any, settings: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _SETTING_REF.sub(lambda m: settings.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _resolve(v, settings) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, settings) for v in value]
    return value


def load_config(
    app_dir: Path,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> HostConfig:
    """Read host.json and the app settings of ``app_dir``; ``overrides`` win over both."""
    env = os.environ if environ is None else environ
    # Like the Functions host, every environment variable is an app setting; the file adds
    # local values for what the environment does not set.
    settings: dict[str, str] = dict(env)
    local = app_dir / "local.settings.json"
    if local.is_file():
        values = _read_json(local).get("Values", {})
        if not isinstance(values, dict):
            raise ConfigError("local.settings.json: Values must be an object of strings")
        for key, value in values.items():
            settings.setdefault(str(key), "" if value is None else str(value))
    settings.update(overrides or {})
    host_path = app_dir / "host.json"
    host_json = _read_json(host_path) if host_path.is_file() else {"version": "2.0"}
    host_json = _resolve(host_json, {**env, **settings})
    durable = host_json.get("extensions", {}).get("durableTask", {})
    return HostConfig(
        host_json=host_json, settings=settings, durable=durable if isinstance(durable, dict) else {}
    )
