"""``notify``: one mail through the mail adapter (the ``.eml`` outbox locally, SendGrid in
Azure), written from templates with the values filled in (``services.records.templates``).

The idempotency key is derived from the instance id and the step, so a retried or re-run
activity sends nothing twice (the outbox skips the repeat; with SendGrid the Message-ID lets
mail clients fold it).
"""

from __future__ import annotations

from typing import Any

from adapters import MailMessage
from adapters.errors import AdapterConfigurationError
from runtime import runtime
from services.errors import InvalidInput
from services.records.templates import render_html, render_subject, render_text

from ._blueprint import blueprint
from ._keys import step_key

MAX_RECIPIENTS = 50
MAX_TEMPLATE = 100_000


def compose(data: Any) -> tuple[MailMessage, str]:
    """The message and its idempotency key, or ``InvalidInput`` naming the field."""
    key = step_key(data, "notify")
    to = data.get("to")
    recipients = [to] if isinstance(to, str) else to
    if (
        not isinstance(recipients, list)
        or not 0 < len(recipients) <= MAX_RECIPIENTS
        or not all(isinstance(r, str) for r in recipients)
    ):
        raise InvalidInput("to", f"expected an address or a list of 1-{MAX_RECIPIENTS}")
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise InvalidInput("values", "expected a JSON object of the templates' values")
    templates = {}
    for name in ("subject", "text", "html"):
        template = data.get(name)
        if template is None and name == "html":
            continue
        if not isinstance(template, str) or not template or len(template) > MAX_TEMPLATE:
            raise InvalidInput(name, f"expected a template of 1-{MAX_TEMPLATE} characters")
        templates[name] = template
    try:
        message = MailMessage(
            to=tuple(recipients),
            subject=render_subject(templates["subject"], values),
            text=render_text(templates["text"], values),
            html=render_html(templates["html"], values) if "html" in templates else None,
        )
    except AdapterConfigurationError as error:
        raise InvalidInput("to", str(error)) from None
    return message, key


@blueprint.activity_trigger(input_name="mail")
def notify(mail: Any) -> dict[str, Any]:
    """Send the mail once per instance and step."""
    message, key = compose(mail)
    sent = runtime().adapters.mail.send(message, idempotency_key=key)
    return {"messageId": sent.message_id, "to": list(message.to), "duplicate": sent.duplicate}
