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

from services import parse_timestamp
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


def _object(view: dict[str, Any]) -> str:
    document = view.get("document") or {}
    name = document.get("physicalName")
    if not name:
        return "a data-dictionary document"
    database = document.get("databaseName")
    return f"{database}.{name}" if database else str(name)


def _deadline(text: object, now: datetime | None) -> str:
    """``Saturday 5 December 2026, 11:22 UTC (1 day 23 hours left)``, as HTML."""
    try:
        moment = parse_timestamp(text, "deadline")
    except Exception:  # not a timestamp: shown as it came
        return escape(str(text))
    left = f" ({time_left(now, moment)})" if now is not None else ""
    return (
        f'<time datetime="{escape(str(text))}">{escape(deadline_in_words(moment))}'
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


def _role(request: dict[str, Any]) -> str:
    if request["role"] == "*":
        return "escalation contact: may decide for every role still open"
    return str(request["role"])


def confirmation_page(
    view: dict[str, Any], *, draft_href: str | None, now: datetime | None = None
) -> str:
    """The page for ``inspect_token``'s view; the forms only while the state is ``open``
    (approve with an optional comment; reject only with a reason)."""
    document = view.get("document") or {}
    request, assessment, ballot = view["request"], view["assessment"] or {}, view["ballot"]
    tier = assessment.get("tier")
    tier_text = f"{tier} ({assessment['tierName']})" if assessment.get("tierName") else tier
    obj = _object(view)
    requester = document.get("requestedBy") or "someone"
    change = str(document.get("changeType") or "a change").lower()
    summary = (
        f"<p>{escape(str(requester))} asks you to approve the data-dictionary document "
        f"for <strong>{escape(obj)}</strong> after it was {escape(change)}.</p>"
    )
    facts = _facts(
        [
            ("Object", document.get("physicalName")),
            ("Database", document.get("databaseName")),
            ("Change", document.get("changeType")),
            ("Requested by", document.get("requestedBy")),
            ("Document", request["documentId"]),
            ("Approval tier", tier_text),
            ("Your role", _role(request)),
            ("Approver", f"{request['approver']['name']} <{request['approver']['email']}>"),
            ("Decide by", _deadline(request["deadline"], now if view["state"] == "open" else None)),
            ("Roles still to approve", ", ".join(ballot.get("pendingRoles") or []) or "none"),
        ],
        raw=("Decide by",),
    )
    draft = (
        f'<p><a href="{escape(draft_href)}">Download the draft document (.docx)</a></p>'
        if draft_href
        else '<p class="muted">The draft document is not available.</p>'
    )
    if view["state"] == "open":
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
        notice = _STATE_NOTICES[view["state"]]
        vote = view.get("vote")
        if vote:
            notice += f" Your decision: {vote['decision']} at {vote['decidedAt']}."
        action = f'<p class="notice">{escape(notice)}</p>'
    return _page(
        f"Approve {obj}?" if view["state"] == "open" else f"Approval of {obj}",
        summary + facts + draft + action,
    )


def decision_page(result: dict[str, Any], document: dict[str, Any] | None = None) -> str:
    """What a browser sees after posting a decision (``Redemption`` JSON plus extras); the
    heading says what was decided."""
    vote, ballot = result["vote"], result["ballot"]
    verb = "approved" if vote["decision"] == "approve" else "rejected"
    obj = _object({"document": document})
    first = (
        "Your decision was already recorded; nothing changed."
        if result["replayed"]
        else "Thank you: your decision is recorded."
    )
    facts = _facts(
        [
            ("Document", vote["documentId"]),
            ("You", f"{vote['approver']['name']} <{vote['approver']['email']}>"),
            ("Decision", f"{verb} for {', '.join(vote['roles'])}"),
            ("Comment", vote["comment"]),
            ("Recorded at (UTC)", vote["decidedAt"]),
            ("Approval so far", _SO_FAR.get(ballot["decision"], ballot["decision"])),
        ]
    )
    kind = "ok" if verb == "approved" else "bad"
    return _page(f"You {verb} {obj}", f'<p class="notice {kind}">{escape(first)}</p>{facts}')


def closed_page(view: dict[str, Any]) -> str:
    """A link whose request can no longer be decided: which document, and how it ended."""
    ballot = view["ballot"]
    obj = _object(view)
    ending = _ENDINGS.get(str(ballot.get("decision")), str(ballot.get("decision")))
    why = _STATE_NOTICES[view["state"]]
    facts = _facts(
        [
            ("Object", obj),
            ("Document", view["request"]["documentId"]),
            ("Revision", view["request"].get("revision")),
            ("How it ended", ending),
            ("Your link's deadline", _deadline(view["request"]["deadline"], None)),
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
