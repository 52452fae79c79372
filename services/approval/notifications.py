"""The mail the approval workflow sends: to approvers, escalation contacts and the requester.

Composition is pure (tested without a transport); ``send_*`` pass the message to the mail
port with an idempotency key derived from what the mail is about, so a retried activity never
mails anyone twice. Everything outside text in a message goes through ``services.text``: a
subject is one line, a body carries no control characters, whatever a name or comment held.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from adapters.mail import MailMessage, MailSender
from services.approval.approvals import ApprovalRequest
from services.approval.documents import DocumentRecord
from services.approval.mail_html import mail_html
from services.approval.wording import deadline_in_words
from services.errors import InvalidInput
from services.ids import derive_id
from services.text import body_text, header_text

__all__ = [
    "approval_link",
    "outcome_message",
    "request_message",
    "requester_address",
    "send_outcome",
    "send_requests",
]

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
    raise InvalidInput(
        "requestedBy",
        f"expected an e-mail address, or a user name with "
        f"REQUESTER_MAIL_DOMAIN set; got {header_text(requested_by, 80)!r}",
    )


def _object(document: DocumentRecord) -> str:
    return header_text(f"{document.database_name}.{document.physical_name}", 120)


def request_message(
    request: ApprovalRequest, document: DocumentRecord, base_url: str, tier: int | None = None
) -> MailMessage:
    """The personal mail for one approval request (approver or escalation contact): text,
    and its HTML twin with a short button for the link. ``tier``: the approval's, when the
    mail names it (the first round's)."""
    approver = request.approver
    link = approval_link(base_url, str(request.token))
    obj = _object(document)
    escalated = request.kind == "escalation"
    subject = (
        f"Escalated: approval overdue for {obj}"
        if escalated
        else f"Approval requested: {obj} (tier {'?' if tier is None else tier})"
    )
    role_line = (
        "As an escalation contact you may decide for every role still open."
        if escalated
        else f"You are asked as {header_text(request.role)}."
    )
    requester = header_text(document.requested_by or "someone", 200)
    change = header_text(document.change_type, 40)
    deadline = deadline_in_words(request.deadline)
    asks = (
        f"{requester} asks you to approve the data-dictionary document for {obj}"
        f" ({change}). {role_line}"
    )
    text = "\n".join(
        [
            f"Hello {header_text(str(approver['name']))},",
            "",
            asks,
            f"Decide by {deadline}.",
            "",
            f"Review and decide: {link}",
            "",
            "The link is personal and works once. Opening it changes nothing until you press"
            " Approve or Reject.",
        ]
    )
    html = mail_html(
        f"Escalated: {obj} is overdue" if escalated else f"Your approval: {obj}",
        f"Hello {header_text(str(approver['name']))}, {asks}",
        [
            ("Object", obj),
            ("Change", change),
            ("Requested by", requester),
            ("Approval tier", "" if tier is None else str(tier)),
            ("Decide by", deadline),
        ],
        [("Review and decide", link)],
        "The link is personal. Opening it changes nothing until you press Approve or Reject.",
    )
    return MailMessage(
        to=(str(approver["email"]),), subject=header_text(subject), text=body_text(text), html=html
    )


def outcome_message(
    document: DocumentRecord,
    outcome: str,
    detail: str,
    to: str,
    base_url: str | None = None,
    revision: int | None = None,
) -> MailMessage:
    """The mail to the requester when the document ends (approved, rejected, timed out), with
    links to the filed document (when filed) and to its audit trail, both on this app."""
    obj = _object(document)
    document_id = document.document_id
    links: list[tuple[str, str]] = []
    if base_url:
        base = base_url.rstrip("/")
        if document.status == "approved":  # filed before the revision ended approved
            query = f"?revision={revision}" if revision else ""
            links.append(
                (
                    "Open the filed document",
                    f"{base}/api/documents/{quote(document_id)}/file{query}",
                )
            )
        links.append(
            ("See its audit trail", f"{base}/api/dashboard/documents/{quote(document_id)}")
        )
    text = "\n".join(
        [
            f"The data-dictionary document {document_id} for {obj} ended: {outcome}.",
            "",
            detail,
            *([""] + [f"{label}: {url}" for label, url in links] if links else []),
        ]
    )
    html = mail_html(
        f"{obj}: {outcome}",
        f"The data-dictionary document for {obj} ended: {outcome}.",
        [("Outcome", outcome), ("Detail", header_text(detail, 2000)), ("Document", document_id)],
        links,
    )
    return MailMessage(
        to=(to,),
        subject=header_text(f"{outcome}: data-dictionary document for {obj}"),
        text=body_text(text),
        html=html,
    )


def send_requests(
    mail: MailSender,
    requests: Sequence[ApprovalRequest],
    document: DocumentRecord,
    base_url: str,
    *,
    tier: int | None = None,
) -> list[str]:
    """Mail each request its personal link; returns the addresses mailed."""
    sent = []
    for request in requests:
        message = request_message(request, document, base_url, tier)
        mail.send(message, idempotency_key=derive_id("approval-mail", request.request_id))
        sent.append(message.to[0])
    return sent


def send_outcome(
    mail: MailSender,
    document: DocumentRecord,
    outcome: str,
    detail: str,
    *,
    to: str,
    revision: int,
    base_url: str | None = None,
) -> str:
    """Tell the requester how the document's revision ended (once per revision)."""
    message = outcome_message(document, outcome, detail, to, base_url, revision)
    mail.send(
        message,
        idempotency_key=derive_id("outcome-mail", document.document_id, revision, outcome),
    )
    return message.to[0]
