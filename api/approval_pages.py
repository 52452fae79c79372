"""The HTML pages approvers see: the confirmation page, the result of a decision, a closed
link, and errors, in the dashboard's look (its ``look.css``, inlined: the page makes no other
request, and a page opened from a mail must not send its token anywhere).

Plain HTML with every value escaped; no scripts. The forms post to the page's own URL, so the
page works behind any host name. The confirmation page shows what the token names and only
reads: showing it changes nothing (mail scanners follow links). Times are written out in UTC
with the time left, as the page cannot know the reader's zone without a script.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from services import DocumentRecord, Redemption, TokenView, iso
from services.approval.approvals import ApprovalRequest
from services.approval.wording import deadline_in_words, time_left

__all__ = ["closed_page", "confirmation_page", "decision_page", "error_page"]

_LOOK = (Path(__file__).parent / "dashboard" / "static" / "look.css").read_text("utf-8")
_STYLE = (
    _LOOK + "header.bar{background:#14324f;color:#fff;padding:.6rem 1.25rem;"
    "font-weight:700}form{margin:1rem 0}.decide{display:grid;gap:1rem}"
    ".decide form{padding:1rem;border:1px solid var(--border);border-radius:8px;"
    "margin:0}.decide textarea{margin:.3rem 0 .6rem}"
)

_STATE_NOTICES = {
    "decided": "You have already decided on this request.",
    "expired": "The deadline of this request has passed; it can no longer be decided.",
    "ended": "The approval of this document has ended; it can no longer be decided.",
}
_ENDINGS = {
    "approved": "it was approved",
    "rejected": "it was rejected",
    "timed-out": "its deadline passed without a decision (timed out)",
    "cancelled": "it was cancelled",
    "pending": "it is still waiting for decisions",
}

_SO_FAR = {"pending": "waiting for the other roles", "timed-out": "timed out"}


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="robots" content="noindex">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><header class="bar">Workflows approvals</header>'
        f'<main class="page"><h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n'
    )


def _object(document: DocumentRecord | None) -> str:
    if document is None or not document.physical_name:
        return "a data-dictionary document"
    database = document.database_name
    return f"{database}.{document.physical_name}" if database else document.physical_name


def _deadline(moment: datetime, now: datetime | None) -> str:
    """``Saturday 5 December 2026, 11:22 UTC (1 day 23 hours left)``, as HTML."""
    left = f" ({time_left(now, moment)})" if now is not None else ""
    return (
        f'<time datetime="{escape(iso(moment))}">{escape(deadline_in_words(moment))}'
        f"</time>{escape(left)}"
    )


def _facts(rows: list[tuple[str, Any]], raw: tuple[str, ...] = ()) -> str:
    """Label/value pairs, escaped (but the labels in ``raw``, already HTML)."""
    items = "".join(
        f"<dt>{escape(label)}</dt><dd>{value if label in raw else escape(str(value))}</dd>"
        for label, value in rows
        if value not in (None, "")
    )
    return f'<dl class="facts">{items}</dl>'


def _role(request: ApprovalRequest) -> str:
    if request.role == "*":
        return "escalation contact: may decide for every role still open"
    return request.role


def confirmation_page(
    view: TokenView, *, draft_href: str | None, now: datetime | None = None
) -> str:
    """The page for ``inspect_token``'s view; the forms only while the state is ``open``
    (approve with an optional comment; reject only with a reason)."""
    document, request, assessment = view.document, view.request, view.assessment or {}
    tier = assessment.get("tier")
    tier_text = f"{tier} ({assessment['tierName']})" if assessment.get("tierName") else tier
    obj = _object(document)
    requester = (document and document.requested_by) or "someone"
    change = ((document and document.change_type) or "a change").lower()
    summary = (
        f"<p>{escape(str(requester))} asks you to approve the data-dictionary document "
        f"for <strong>{escape(obj)}</strong> after it was {escape(change)}.</p>"
    )
    facts = _facts(
        [
            ("Object", document and document.physical_name),
            ("Database", document and document.database_name),
            ("Change", document and document.change_type),
            ("Requested by", document and document.requested_by),
            ("Document", request.document_id),
            ("Approval tier", tier_text),
            ("Your role", _role(request)),
            ("Approver", f"{request.approver['name']} <{request.approver['email']}>"),
            ("Decide by", _deadline(request.deadline, now if view.state == "open" else None)),
            ("Roles still to approve", ", ".join(view.ballot.pending_roles) or "none"),
        ],
        raw=("Decide by",),
    )
    draft = (
        f'<p><a href="{escape(draft_href)}">Download the draft document (.docx)</a></p>'
        if draft_href
        else '<p class="muted">The draft document is not available.</p>'
    )
    if view.state == "open":
        action = (
            '<div class="decide"><form method="post">'
            '<label for="comment">Comment (optional)</label>'
            '<textarea id="comment" name="comment" maxlength="4000"></textarea>'
            '<button type="submit" class="primary" name="decision" value="approve">'
            "Approve</button></form>"
            '<form method="post"><label for="reason">Reason for rejecting (required)'
            '</label><textarea id="reason" name="comment" maxlength="4000" required>'
            '</textarea><button type="submit" class="danger" name="decision" '
            'value="reject">Reject</button></form></div>'
        )
    else:
        notice = _STATE_NOTICES[view.state]
        if view.vote is not None:
            notice += f" Your decision: {view.vote.decision} at {iso(view.vote.decided_at)}."
        action = f'<p class="notice">{escape(notice)}</p>'
    return _page(
        f"Approve {obj}?" if view.state == "open" else f"Approval of {obj}",
        summary + facts + draft + action,
    )


def decision_page(redemption: Redemption, document: DocumentRecord | None = None) -> str:
    """What a browser sees after posting a decision; the heading says what was decided."""
    vote, decision = redemption.vote, redemption.ballot.decision
    verb = "approved" if vote.decision == "approve" else "rejected"
    obj = _object(document)
    first = (
        "Your decision was already recorded; nothing changed."
        if redemption.replayed
        else "Thank you: your decision is recorded."
    )
    facts = _facts(
        [
            ("Document", vote.document_id),
            ("You", f"{vote.approver['name']} <{vote.approver['email']}>"),
            ("Decision", f"{verb} for {', '.join(vote.roles)}"),
            ("Comment", vote.comment),
            ("Recorded at (UTC)", iso(vote.decided_at)),
            ("Approval so far", _SO_FAR.get(decision, decision)),
        ]
    )
    kind = "ok" if verb == "approved" else "bad"
    return _page(f"You {verb} {obj}", f'<p class="notice {kind}">{escape(first)}</p>{facts}')


def closed_page(view: TokenView) -> str:
    """A link whose request can no longer be decided: which document, and how it ended."""
    decision = view.ballot.decision
    obj = _object(view.document)
    ending = _ENDINGS.get(decision, decision)
    why = _STATE_NOTICES[view.state]
    facts = _facts(
        [
            ("Object", obj),
            ("Document", view.request.document_id),
            ("Revision", view.request.revision),
            ("How it ended", ending),
            ("Your link's deadline", _deadline(view.request.deadline, None)),
        ],
        raw=("Your link's deadline",),
    )
    return _page(
        f"This approval link is closed: {obj}",
        f'<p class="notice warn">{escape(why)}</p>{facts}'
        "<p>Nothing more is needed from you. If you think this is wrong, contact the "
        "person who asked for your approval.</p>",
    )


def error_page(problem: dict[str, Any]) -> str:
    """A readable page for a problem document (bad, foreign, expired or closed link)."""
    return _page(
        str(problem["title"]),
        f'<p class="notice bad">{escape(str(problem["detail"]))}</p>'
        f"<p>HTTP status {int(problem['status'])}. If you think this is wrong, "
        f"contact the person who asked for your approval.</p>",
    )
