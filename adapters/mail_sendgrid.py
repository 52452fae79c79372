"""The Azure mail transport: SendGrid's v3 ``mail/send`` through the sendgrid library.

SendGrid has no idempotency key, so a retried activity can deliver twice; the Message-ID
header (from the key) and the ``idempotency_key`` custom argument make repeats recognisable
to mail clients and in SendGrid's event log.
"""

from __future__ import annotations

from typing import Any

from adapters.errors import AdapterConfigurationError, RemoteServiceError
from adapters.mail import MailMessage, SentMail, check_sender, message_id_for

__all__ = ["SENDGRID_API_URL", "SendGridMailSender"]

SENDGRID_API_URL = "https://api.sendgrid.com"


class SendGridMailSender:
    """``MailSender`` on SendGrid; ``base_url`` lets a test point it at a local server."""

    def __init__(self, api_key: str, sender: str, *, base_url: str = SENDGRID_API_URL) -> None:
        if not api_key:
            raise AdapterConfigurationError(
                "SENDGRID_API_KEY is required when MAIL_TRANSPORT is 'sendgrid'"
            )
        self.sender = check_sender(sender)
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")

    def send(self, message: MailMessage, *, idempotency_key: str) -> SentMail:
        from python_http_client.exceptions import HTTPError
        from sendgrid import SendGridAPIClient  # heavy, Azure only: imported on use

        message_id = message_id_for(idempotency_key, self.sender)
        client = SendGridAPIClient(api_key=self._api_key, host=self._base_url)
        try:
            response: Any = client.send(self._build(message, message_id, idempotency_key))
        except HTTPError as error:
            body = (
                error.body.decode("utf-8", "replace")
                if isinstance(error.body, bytes)
                else str(error.body)
            )
            raise RemoteServiceError("SendGrid", int(error.status_code), body) from error
        provider_id = response.headers.get("X-Message-Id", "") if response.headers else ""
        return SentMail(message_id=message_id, duplicate=False, location=f"sendgrid:{provider_id}")

    def _build(self, message: MailMessage, message_id: str, key: str) -> Any:
        from sendgrid.helpers.mail import CustomArg, Header, Mail

        mail = Mail(
            from_email=self.sender,
            to_emails=list(message.to),
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        mail.header = Header("Message-ID", message_id)
        mail.custom_arg = CustomArg("idempotency_key", key)
        return mail
