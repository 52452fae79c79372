"""Mail: the ``MailSender`` port, the message shape, and the Message-ID derived from a key.

Activities run at least once, so every send carries an idempotency key; the Message-ID is a
hash of it, which lets the outbox skip a repeat and lets mail clients fold a repeat that a
provider without idempotency (SendGrid) delivers twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from adapters.errors import AdapterConfigurationError

__all__ = ["MailMessage", "MailSender", "SentMail", "message_id_for"]

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class MailMessage:
    """One message to one or more recipients; ``html`` is an optional alternative body."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.to, str) or not self.to:
            raise AdapterConfigurationError("mail 'to' must be a non-empty tuple of addresses")
        for address in self.to:
            _check_address("to", address)
        if not self.subject or "\n" in self.subject or "\r" in self.subject:
            raise AdapterConfigurationError("mail 'subject' must be one non-empty line")


@dataclass(frozen=True)
class SentMail:
    """What a send did: the Message-ID, whether it was a repeat, and where it went."""

    message_id: str
    duplicate: bool
    location: str


class MailSender(Protocol):
    """Sends a message at most once per idempotency key where the transport allows it."""

    def send(self, message: MailMessage, *, idempotency_key: str) -> SentMail: ...


def message_id_for(idempotency_key: str, sender: str) -> str:
    """A stable RFC 5322 Message-ID for the key, in the sender's domain."""
    if not idempotency_key:
        raise AdapterConfigurationError("mail idempotency_key must be a non-empty string")
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{sender.rsplit('@', 1)[-1]}>"


def check_sender(sender: str) -> str:
    """The configured From address, checked once when the sender is built."""
    return _check_address("MAIL_FROM", sender)


def _check_address(field: str, address: str) -> str:
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise AdapterConfigurationError(
            f"mail {field!r} address {address!r} is not an address like name@example.com"
        )
    return address
