"""The messaging subsystem of one host: the broker file, the entities, and the listeners.

:func:`install` is what the host calls at construction; it registers the three triggers, the two
output bindings, the admin routes and a busy probe. Entities that triggers and output bindings
use are added to the config (with Service Bus defaults) when the host starts its listeners, and
at the same moment locks left by a previous (crashed) devhost are released.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from devhost.messaging._db import connect
from devhost.messaging._host import HostLike, resolve
from devhost.messaging.config import BrokerConfig, Topic, load_config, subscription_path
from devhost.messaging.errors import ConfigError
from devhost.messaging.outputs import queue_sink, servicebus_sink
from devhost.messaging.queue_listener import QueueListener
from devhost.messaging.routes import admin_routes
from devhost.messaging.servicebus import ServiceBusBroker, dead_letter_path, split_dead_letter
from devhost.messaging.servicebus_listener import ServiceBusListener
from devhost.messaging.storage_queues import StorageQueues
from devhost.messaging.timer_listener import TimerListener

__all__ = ["CONFIG_SETTING", "DEFAULT_CONFIG_FILE", "Messaging", "install"]

log = logging.getLogger("devhost.messaging")

CONFIG_SETTING = "DEVHOST_SERVICEBUS_CONFIG"
DEFAULT_CONFIG_FILE = "servicebus.config.json"
BROKER_FILE = "broker.sqlite"


def config_path(host: HostLike) -> Path | None:
    """The Service Bus config file: the setting (must exist) or the default file if present."""
    named = host.settings.get(CONFIG_SETTING)
    if named:
        path = Path(named) if Path(named).is_absolute() else host.app_dir / named
        if not path.is_file():
            raise ConfigError(f"app setting {CONFIG_SETTING}: file {path} does not exist")
        return path
    default = host.app_dir / DEFAULT_CONFIG_FILE
    return default if default.is_file() else None


class Messaging:
    """Owns the broker file and the listeners of one host."""

    def __init__(self, host: HostLike) -> None:
        self.host = host
        self.config: BrokerConfig = load_config(config_path(host))
        self.db = connect(Path(host.data_dir) / BROKER_FILE)
        host.add_stop_hook(self.db.close)
        self.servicebus = ServiceBusBroker(self.db, self.config, host.clock.now)
        self.queues = StorageQueues(self.db, host.clock.now)
        self.listeners: list[ServiceBusListener | QueueListener | TimerListener] = []
        self._prepared = False

    def prepare(self) -> None:
        """Add the entities the app's bindings use, then recover a crashed run (once)."""
        if self._prepared:
            return
        self._prepared = True
        for fn in self.host.functions:
            for binding in fn.bindings:
                self._ensure(fn, binding)
        in_flight = self.servicebus.recover() + self.queues.recover()
        if in_flight:
            log.info(
                "messaging: %d message(s) in flight at the last stop are back in their "
                "queues (their delivery counted)",
                in_flight,
            )

    def _ensure(self, fn: Any, binding: dict[str, Any]) -> None:
        where = f"function {fn.name}: binding {binding.get('name')!r}"
        kind = binding.get("type")
        sessions = bool(binding.get("isSessionsEnabled", False))
        if kind == "serviceBusTrigger":
            self.servicebus_entity(fn)
        elif kind in ("queue", "queueTrigger"):
            self.queues.declare(
                resolve(binding.get("queueName"), self.host.settings, f"{where} queueName")
            )
        elif kind == "serviceBus" and binding.get("queueName"):
            name = resolve(binding["queueName"], self.host.settings, f"{where} queueName")
            if name not in self.config.topics:
                self.config.ensure_queue(name, requires_session=sessions)
        elif kind == "serviceBus" and binding.get("topicName"):
            name = resolve(binding["topicName"], self.host.settings, f"{where} topicName")
            if name not in self.config.topics and name not in self.config.entities:
                self.config.topics[name] = Topic(name)

    def servicebus_entity(self, fn: Any) -> str:
        """The queue or subscription path a Service Bus trigger reads (created if unknown)."""
        trigger = fn.trigger
        where = f"function {fn.name}: serviceBusTrigger"
        sessions = bool(trigger.get("isSessionsEnabled", False))
        if trigger.get("topicName"):
            topic = resolve(trigger["topicName"], self.host.settings, f"{where} topicName")
            sub = resolve(
                trigger.get("subscriptionName"), self.host.settings, f"{where} subscriptionName"
            )
            sub, dead = split_dead_letter(sub)  # "<sub>/$deadletterqueue"
            self.config.ensure_subscription(topic, sub, requires_session=sessions and not dead)
            path = subscription_path(topic, sub)
            return dead_letter_path(path) if dead else path
        queue = resolve(trigger.get("queueName"), self.host.settings, f"{where} queueName")
        parent, dead = split_dead_letter(queue)
        if dead:  # "<queue>/$deadletterqueue": the queue's dead letters, as in Azure
            self.config.ensure_queue(parent, requires_session=False)
            return dead_letter_path(parent)
        self.config.ensure_queue(queue, requires_session=sessions)
        return queue

    # -- factories the host calls at start ------------------------------------------------

    def servicebus_listener(self, host: HostLike, fn: Any) -> ServiceBusListener:
        self.prepare()
        listener = ServiceBusListener(host, fn, self.servicebus, self.servicebus_entity(fn))
        self.listeners.append(listener)
        return listener

    def queue_listener(self, host: HostLike, fn: Any) -> QueueListener:
        self.prepare()
        queue = resolve(
            fn.trigger.get("queueName"),
            host.settings,
            f"function {fn.name}: queueTrigger queueName",
        )
        listener = QueueListener(host, fn, self.queues, queue)
        self.listeners.append(listener)
        return listener

    def timer_listener(self, host: HostLike, fn: Any) -> TimerListener:
        self.prepare()
        listener = TimerListener(host, fn, self.db)
        self.listeners.append(listener)
        return listener

    def busy(self) -> bool:
        return any(listener.busy() for listener in self.listeners)


def install(host: HostLike) -> Messaging:
    """Register the Service Bus, storage-queue and timer triggers, outputs and admin routes."""
    messaging = Messaging(host)
    host.register_trigger("serviceBusTrigger", messaging.servicebus_listener)
    host.register_trigger("queueTrigger", messaging.queue_listener)
    host.register_trigger("timerTrigger", messaging.timer_listener)
    host.register_output("serviceBus", servicebus_sink(host, messaging.servicebus))
    host.register_output("queue", queue_sink(host, messaging.queues))
    host.add_routes(admin_routes(messaging))
    host.add_busy_probe(messaging.busy)
    return messaging
