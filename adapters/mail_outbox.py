"""The local mail transport: each message an RFC 5322 ``.eml`` file in an outbox folder.

The file is named after the idempotency key, so a retried send finds it and does nothing.
People open the files in any mail client; tests read them back with ``messages()``.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import os
import tempfile
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from adapters.mail import MailMessage, SentMail, check_sender, message_id_for

__all__ = ["OutboxMailSender", "read_outbox"]


class OutboxMailSender:
    """``MailSender`` writing ``<sha256(key)>.eml`` files under ``folder`` (created on demand)."""

    def __init__(self, folder: str | os.PathLike[str], sender: str) -> None:
        self.folder = Path(folder)
        self.sender = check_sender(sender)

    def send(self, message: MailMessage, *, idempotency_key: str) -> SentMail:
        message_id = message_id_for(idempotency_key, self.sender)
        path = self.folder / f"{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}.eml"
        if path.exists():
            return SentMail(message_id=message_id, duplicate=True, location=str(path))
        self.folder.mkdir(parents=True, exist_ok=True)
        data = _to_rfc5322(message, self.sender, message_id, idempotency_key)
        # Write beside, then rename: a reader never sees half a message, and of two racing
        # attempts with the same key the last rename wins with identical content.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
        return SentMail(message_id=message_id, duplicate=False, location=str(path))

    def messages(self) -> list[EmailMessage]:
        """The messages in the outbox, oldest first."""
        return read_outbox(self.folder)


def read_outbox(folder: str | os.PathLike[str]) -> list[EmailMessage]:
    """Parse every ``.eml`` in ``folder``, oldest file first (name breaks ties)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    files = sorted(root.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    parser = BytesParser(policy=email.policy.default)
    parsed: list[EmailMessage] = []
    for path in files:
        with path.open("rb") as stream:
            message = parser.parse(stream)
        assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
        parsed.append(message)
    return parsed


def _to_rfc5322(message: MailMessage, sender: str, message_id: str, key: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(message.to)
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.formatdate(usegmt=True)
    mail["Message-ID"] = message_id
    mail["X-Idempotency-Key"] = key
    # 8bit keeps long lines (approval links) whole in the .eml, so a person reading the
    # outbox file can copy them; quoted-printable would fold them with "=" breaks.
    mail.set_content(message.text, cte="8bit")
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail.as_bytes(policy=email.policy.SMTP)
