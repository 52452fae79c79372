"""devhost's local messaging: Service Bus, storage queues and timers on one machine.

``install(host)`` wires the ``serviceBusTrigger``, ``queueTrigger`` and ``timerTrigger``
triggers, the ``serviceBus`` and ``queue`` output bindings and the ``/admin/devhost/queues``,
``/topics`` and ``/storage-queues`` routes into a host. State lives in ``broker.sqlite`` in the
host's data dir. See docs/devhost-messaging.md.
"""

from devhost.messaging.config import BrokerConfig, EntityProperties, Topic, load_config
from devhost.messaging.errors import BrokerFileError, ConfigError, MessagingError, SendError
from devhost.messaging.runtime import Messaging, install
from devhost.messaging.servicebus import (
    OutgoingMessage,
    ReceivedMessage,
    SendResult,
    ServiceBusBroker,
)
from devhost.messaging.storage_queues import QueueMessage, StorageQueues

__all__ = [
    "BrokerConfig",
    "BrokerFileError",
    "ConfigError",
    "EntityProperties",
    "Messaging",
    "MessagingError",
    "OutgoingMessage",
    "QueueMessage",
    "ReceivedMessage",
    "SendError",
    "SendResult",
    "ServiceBusBroker",
    "StorageQueues",
    "Topic",
    "install",
    "load_config",
]
