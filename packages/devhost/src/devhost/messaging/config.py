"""Service Bus entities from a file in the official emulator's ``Config.json`` format.

The same file serves the Azure Service Bus emulator, so a team can switch between the two without
restating queues. Only ``UserConfig.Namespaces[*].Queues`` and ``.Topics[*].Subscriptions[*]``
(with ``Rules``) are read; ``Logging`` and other keys are ignored. Every property has the Service
Bus default when absent, and queues that a trigger uses but the file lacks are added by
:meth:`BrokerConfig.ensure_queue` with those defaults.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from devhost.clock import parse_duration as clock_duration
from devhost.messaging.errors import ConfigError
from devhost.messaging.filters import Rule, parse_rule

__all__ = [
    "BrokerConfig",
    "ConfigError",
    "EntityProperties",
    "Topic",
    "load_config",
    "parse_duration",
    "subscription_path",
]

# Azure caps DefaultMessageTimeToLive at TimeSpan.MaxValue; the emulator's sample writes it so.
_NEVER = timedelta(days=10675199)


@dataclass(frozen=True)
class EntityProperties:
    """The receive-side properties of a queue or a subscription (Service Bus defaults)."""

    lock_duration: timedelta = timedelta(minutes=1)
    max_delivery_count: int = 10
    requires_session: bool = False
    requires_duplicate_detection: bool = False
    duplicate_detection_window: timedelta = timedelta(minutes=10)
    default_ttl: timedelta | None = None
    dead_lettering_on_expiration: bool = False


@dataclass(frozen=True)
class Topic:
    """A topic: duplicate detection and TTL on send, and its subscriptions' names and rules."""

    name: str
    requires_duplicate_detection: bool = False
    duplicate_detection_window: timedelta = timedelta(minutes=10)
    default_ttl: timedelta | None = None
    subscriptions: dict[str, tuple[Rule, ...]] = field(default_factory=dict)


@dataclass
class BrokerConfig:
    """All known entities: ``entities`` maps a queue name or ``topic/Subscriptions/sub`` path."""

    entities: dict[str, EntityProperties] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    source: Path | None = None

    def ensure_queue(self, name: str, *, requires_session: bool) -> EntityProperties:
        """Add a queue a trigger or output binding uses but the file lacks, with defaults."""
        if name not in self.entities:
            self.entities[name] = EntityProperties(requires_session=requires_session)
        return self.entities[name]

    def ensure_subscription(
        self,
        topic: str,
        subscription: str,
        *,
        requires_session: bool,
    ) -> EntityProperties:
        """Add a topic subscription a trigger uses but the file lacks (a catch-all rule)."""
        known = self.topics.setdefault(topic, Topic(topic))
        if subscription not in known.subscriptions:
            known.subscriptions[subscription] = ()
        return self.entities.setdefault(
            subscription_path(topic, subscription),
            EntityProperties(requires_session=requires_session),
        )


def subscription_path(topic: str, subscription: str) -> str:
    """The entity path Service Bus gives a subscription, used as its key in the broker."""
    return f"{topic}/Subscriptions/{subscription}"


_TIMESPAN = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$")


def parse_duration(text: object, where: str) -> timedelta:
    """Read an ISO 8601 duration (``PT1M``, as the clock reads it) or a .NET TimeSpan
    (``00:01:00``, as Service Bus's own settings write it)."""
    if isinstance(text, str):
        timespan = _TIMESPAN.match(text.strip())
        try:
            if timespan is None:
                return clock_duration(text)
            parts = {k: float(v or 0) for k, v in timespan.groupdict().items()}
            return timedelta(
                days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"]
            )
        except OverflowError:
            raise ConfigError(_too_long(where, text)) from None
        except ValueError as exc:
            if "longer than" in str(exc):
                raise ConfigError(_too_long(where, text)) from None
    raise ConfigError(
        f"{where}: expected an ISO 8601 duration such as 'PT1M' or a TimeSpan "
        f"'00:01:00', got {text!r}"
    )


def _too_long(where: str, text: str) -> str:
    return (
        f"{where}: {text!r} is longer than any duration can be "
        "(a .NET TimeSpan holds 10675199 days)"
    )


def _bool(props: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = props.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _ttl(props: dict[str, Any], where: str) -> timedelta | None:
    if "DefaultMessageTimeToLive" not in props:
        return None
    ttl = parse_duration(props["DefaultMessageTimeToLive"], f"{where}.DefaultMessageTimeToLive")
    return None if ttl >= _NEVER else ttl


def _receive_properties(props: dict[str, Any], where: str) -> EntityProperties:
    defaults = EntityProperties()
    max_delivery = props.get("MaxDeliveryCount", defaults.max_delivery_count)
    if not isinstance(max_delivery, int) or isinstance(max_delivery, bool) or max_delivery < 1:
        raise ConfigError(
            f"{where}.MaxDeliveryCount: expected an integer >= 1, got {max_delivery!r}"
        )
    return EntityProperties(
        lock_duration=parse_duration(props.get("LockDuration", "PT1M"), f"{where}.LockDuration"),
        max_delivery_count=max_delivery,
        requires_session=_bool(props, "RequiresSession", where, False),
        requires_duplicate_detection=_bool(props, "RequiresDuplicateDetection", where, False),
        duplicate_detection_window=parse_duration(
            props.get("DuplicateDetectionHistoryTimeWindow", "PT10M"),
            f"{where}.DuplicateDetectionHistoryTimeWindow",
        ),
        default_ttl=_ttl(props, where),
        dead_lettering_on_expiration=_bool(props, "DeadLetteringOnMessageExpiration", where, False),
    )


def _objects(parent: dict[str, Any], key: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    """The named objects of list ``key`` with their JSON paths, each checked for a Name."""
    items = parent.get(key, [])
    if not isinstance(items, list):
        raise ConfigError(f"{where}.{key}: expected a list")
    out = []
    for i, item in enumerate(items):
        path = f"{where}.{key}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str) or not item["Name"]:
            raise ConfigError(f"{path}.Name: expected a non-empty string")
        props = item.get("Properties", {})
        if not isinstance(props, dict):
            raise ConfigError(f"{path}.Properties: expected an object")
        out.append((path, item))
    return out


def parse_config(document: object, source: Path | None = None) -> BrokerConfig:
    """Turn a parsed ``Config.json`` into a :class:`BrokerConfig` (all namespaces merged)."""
    if not isinstance(document, dict) or not isinstance(document.get("UserConfig"), dict):
        raise ConfigError("UserConfig: expected an object with Namespaces")
    config = BrokerConfig(source=source)
    for ns_path, namespace in _objects(document["UserConfig"], "Namespaces", "UserConfig"):
        for path, queue in _objects(namespace, "Queues", ns_path):
            config.entities[queue["Name"]] = _receive_properties(
                queue.get("Properties", {}), f"{path}.Properties"
            )
        for path, topic in _objects(namespace, "Topics", ns_path):
            props = topic.get("Properties", {})
            base = _receive_properties(
                {
                    k: v
                    for k, v in props.items()
                    if k
                    in (
                        "RequiresDuplicateDetection",
                        "DuplicateDetectionHistoryTimeWindow",
                        "DefaultMessageTimeToLive",
                    )
                },
                f"{path}.Properties",
            )
            known = Topic(
                topic["Name"],
                base.requires_duplicate_detection,
                base.duplicate_detection_window,
                base.default_ttl,
            )
            for sub_path, sub in _objects(topic, "Subscriptions", path):
                rules = tuple(
                    parse_rule(rule, f"{sub_path}.Rules[{i}]")
                    for i, rule in enumerate(sub.get("Rules", []))
                )
                known.subscriptions[sub["Name"]] = rules
                config.entities[subscription_path(topic["Name"], sub["Name"])] = (
                    _receive_properties(sub.get("Properties", {}), f"{sub_path}.Properties")
                )
            config.topics[topic["Name"]] = known
    return config


def load_config(path: Path | None) -> BrokerConfig:
    """Load the file at ``path``; no path (or no file) gives an empty config."""
    if path is None or not path.exists():
        return BrokerConfig()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from error
    try:
        return parse_config(document, path)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from error
