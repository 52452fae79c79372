"""The messaging subsystem's errors.

::

    MessagingError
    ├ BrokerFileError  the broker file is not one this devhost can open (names the file)
    ├ ConfigError   the Service Bus config file is malformed (names the JSON path)
    └ SendError     a send was refused (names the field); admin routes answer 400
"""

from __future__ import annotations

__all__ = ["BrokerFileError", "ConfigError", "MessagingError", "SendError"]


class MessagingError(ValueError):
    """Base of the messaging errors."""


class ConfigError(MessagingError):
    """The Service Bus config file is malformed; the message names the JSON path at fault."""


class SendError(MessagingError):
    """A message was refused before anything was stored; ``field`` names the culprit."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class BrokerFileError(MessagingError):
    """The broker file cannot be opened by this devhost (it names the file and why)."""
