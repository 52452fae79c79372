"""The mail the approval workflow sends: to approvers, escalation contacts and the requester.

Composition is pure (tested without a transport); ``send_*`` pass the message to the mail
port with an idempotency key derived from what the mail is about, so a retried activity never
mails anyone twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.mail import MailMessage, MailSender
from services.ids import derive_id

__all__ = ["approval_link", "outcome_message", "request_message", "send_outcome",
           "send_requests"]


def approval_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/api/approvals/{token}"


def request_message(request: Mapping[str, Any], document: Mapping[str, Any],
                    base_url: str) -> MailMessage:
    """The personal mail for one approval request (approver or escalation contact)."""
    approver = request["approver"]
    link = approval_link(base_url, str(request["token"]))
    obj = f"{document['databaseName']}.{document['physicalName']}"
    escalated = request.get("kind") == "escalation"
    subject = (f"Escalated: approval overdue for {obj}" if escalated
               else f"Approval requested: {obj} (tier {document.get('tier', '?')})")
    role_line = ("As an escalation contact you may decide for every role still open."
                 if escalated else f"You are asked as {request['role']}.")
    text = "\n".join([
        f"Hello {approver['name']},",
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
    return MailMessage(to=(str(approver["email"]),), subject=subject, text=text)


def outcome_message(document: Mapping[str, Any], outcome: str, detail: str) -> MailMessage:
    """The mail to the requester when the document ends (approved, rejected, timed out)."""
    obj = f"{document['databaseName']}.{document['physicalName']}"
    text = "\n".join([
        f"The data-dictionary document {document['documentId']} for {obj} ended: {outcome}.",
        "",
        detail,
    ])
    return MailMessage(to=(str(document["requestedBy"]),),
                       subject=f"{outcome}: data-dictionary document for {obj}", text=text)


def send_requests(mail: MailSender, requests: Sequence[Mapping[str, Any]],
                  document: Mapping[str, Any], base_url: str) -> list[str]:
    """Mail each request its personal link; returns the addresses mailed."""
    sent = []
    for request in requests:
        message = request_message(request, document, base_url)
        mail.send(message, idempotency_key=derive_id("approval-mail", request["requestId"]))
        sent.append(message.to[0])
    return sent


def send_outcome(mail: MailSender, document: Mapping[str, Any], outcome: str,
                 detail: str) -> str:
    message = outcome_message(document, outcome, detail)
    mail.send(message, idempotency_key=derive_id("outcome-mail", document["documentId"],
                                                 outcome))
    return message.to[0]
