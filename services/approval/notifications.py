"""The mail the approval workflow sends: to approvers, escalation contacts and the requester.

Composition is pure (tested without a transport); ``send_*`` pass the message to the mail
port with an idempotency key derived from what the mail is about, so a retried activity never
mails anyone twice. Everything outside text in a message goes through ``services.text``: a
subject is one line, a body carries no control characters, whatever a name or comment held.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.mail import MailMessage, MailSender
from services.errors import InvalidInput
from services.ids import derive_id
from services.text import body_text, header_text

__all__ = ["approval_link", "outcome_message", "request_message", "requester_address",
           "send_outcome", "send_requests"]

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_USER_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*\\)?([A-Za-z0-9][A-Za-z0-9._-]*)$")


def approval_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/api/approvals/{token}"


def requester_address(requested_by: str, mail_domain: str | None) -> str:
    """Where the requester's mail goes: ``requestedBy`` when it is an address; a user name
    (``rita``, ``CORP\\rita``) at ``mail_domain`` when one is configured
    (``REQUESTER_MAIL_DOMAIN``). Otherwise ``InvalidInput``: nobody can be mailed."""
    if _ADDRESS.match(requested_by):
        return requested_by
    user = _USER_NAME.match(requested_by)
    if user and mail_domain:
        return f"{user.group(1)}@{mail_domain}"
    raise InvalidInput("requestedBy", f"expected an e-mail address, or a user name with "
                       f"REQUESTER_MAIL_DOMAIN set; got {header_text(requested_by, 80)!r}")


def _object(document: Mapping[str, Any]) -> str:
    return header_text(f"{document['databaseName']}.{document['physicalName']}", 120)


def request_message(request: Mapping[str, Any], document: Mapping[str, Any],
                    base_url: str) -> MailMessage:
    """The personal mail for one approval request (approver or escalation contact)."""
    approver = request["approver"]
    link = approval_link(base_url, str(request["token"]))
    obj = _object(document)
    escalated = request.get("kind") == "escalation"
    subject = (f"Escalated: approval overdue for {obj}" if escalated
               else f"Approval requested: {obj} (tier {document.get('tier', '?')})")
    role_line = ("As an escalation contact you may decide for every role still open."
                 if escalated else f"You are asked as {header_text(str(request['role']))}.")
    text = "\n".join([
        f"Hello {header_text(str(approver['name']))},",
        "",
        f"The data-dictionary document for {obj} ({document.get('changeType', 'change')})"
        f" needs your decision. {role_line}",
        f"Decide by {request['deadline']} (UTC).",
        "",
        f"Review and decide: {link}",
        "",
        "The link is personal and works once. Opening it changes nothing until you press"
        " Approve or Reject.",
    ])
    return MailMessage(to=(str(approver["email"]),), subject=header_text(subject),
                       text=body_text(text))


def outcome_message(document: Mapping[str, Any], outcome: str, detail: str,
                    to: str) -> MailMessage:
    """The mail to the requester when the document ends (approved, rejected, timed out)."""
    obj = _object(document)
    text = "\n".join([
        f"The data-dictionary document {document['documentId']} for {obj} ended: {outcome}.",
        "",
        detail,
    ])
    return MailMessage(to=(to,), subject=header_text(f"{outcome}: data-dictionary document "
                                                     f"for {obj}"), text=body_text(text))


def send_requests(mail: MailSender, requests: Sequence[Mapping[str, Any]],
                  document: Mapping[str, Any], base_url: str) -> list[str]:
    """Mail each request its personal link; returns the addresses mailed."""
    sent = []
    for request in requests:
        message = request_message(request, document, base_url)
        mail.send(message, idempotency_key=derive_id("approval-mail", request["requestId"]))
        sent.append(message.to[0])
    return sent


def send_outcome(mail: MailSender, document: Mapping[str, Any], outcome: str, detail: str, *,
                 to: str, revision: int) -> str:
    """Tell the requester how the document's revision ended (once per revision)."""
    message = outcome_message(document, outcome, detail, to)
    mail.send(message, idempotency_key=derive_id("outcome-mail", document["documentId"],
                                                 revision, outcome))
    return message.to[0]
