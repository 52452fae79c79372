"""The HTML pages approvers see: the confirmation page, the result of a decision, and errors.

Plain HTML with every value escaped; no scripts. The form posts to the page's own URL, so the
page works behind any host name. The confirmation page shows what the token names and only
reads: showing it changes nothing (mail scanners follow links).
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["confirmation_page", "decision_page", "error_page"]

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
          "padding:0 1rem;color:#222}dt{font-weight:600}dd{margin:0 0 .6rem 0}"
          "textarea{width:100%;min-height:5rem}button{margin-right:1rem;padding:.4rem 1.2rem}"
          ".notice{padding:.6rem 1rem;background:#f3f3f3;border-left:4px solid #888}")

_STATE_NOTICES = {
    "decided": "You have already decided on this request.",
    "expired": "The deadline of this request has passed; it can no longer be decided.",
    "ended": "The approval of this document has ended; it can no longer be decided.",
}


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"robots\" content=\"noindex\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def _facts(rows: list[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"
                    for label, value in rows if value not in (None, ""))
    return f"<dl>{items}</dl>"


def _role(request: dict[str, Any]) -> str:
    if request["role"] == "*":
        return "escalation contact: may decide for every role still open"
    return str(request["role"])


def confirmation_page(view: dict[str, Any], *, draft_href: str | None) -> str:
    """The page for ``inspect_token``'s view; the form only while the state is ``open``."""
    document = view.get("document") or {}
    request, assessment, ballot = view["request"], view["assessment"] or {}, view["ballot"]
    tier = assessment.get("tier")
    tier_text = f"{tier} ({assessment['tierName']})" if assessment.get("tierName") else tier
    facts = _facts([
        ("Object", document.get("physicalName")),
        ("Database", document.get("databaseName")),
        ("Change", document.get("changeType")),
        ("Requested by", document.get("requestedBy")),
        ("Document", request["documentId"]),
        ("Approval tier", tier_text),
        ("Your role", _role(request)),
        ("Approver", f"{request['approver']['name']} <{request['approver']['email']}>"),
        ("Deadline (UTC)", request["deadline"]),
        ("Roles still to approve", ", ".join(ballot.get("pendingRoles") or []) or "none"),
    ])
    draft = (f"<p><a href=\"{escape(draft_href)}\">Download the draft document (.docx)</a></p>"
             if draft_href else "<p>The draft document is not available.</p>")
    if view["state"] == "open":
        action = ("<form method=\"post\">"
                  "<p><label for=\"comment\">Comment (optional)</label><br>"
                  "<textarea id=\"comment\" name=\"comment\" maxlength=\"4000\"></textarea></p>"
                  "<p><button type=\"submit\" name=\"decision\" value=\"approve\">Approve"
                  "</button><button type=\"submit\" name=\"decision\" value=\"reject\">Reject"
                  "</button></p></form>")
    else:
        notice = _STATE_NOTICES[view["state"]]
        vote = view.get("vote")
        if vote:
            notice += f" Your decision: {vote['decision']} at {vote['decidedAt']}."
        action = f"<p class=\"notice\">{escape(notice)}</p>"
    return _page("Approve a data-dictionary document", facts + draft + action)


def decision_page(result: dict[str, Any]) -> str:
    """What a browser sees after posting a decision (``Redemption`` JSON plus extras)."""
    vote, ballot = result["vote"], result["ballot"]
    verb = "approved" if vote["decision"] == "approve" else "rejected"
    first = ("Your decision was already recorded; nothing changed." if result["replayed"]
             else "Thank you: your decision is recorded.")
    facts = _facts([
        ("Document", vote["documentId"]),
        ("You", f"{vote['approver']['name']} <{vote['approver']['email']}>"),
        ("Decision", f"{verb} for {', '.join(vote['roles'])}"),
        ("Comment", vote["comment"]),
        ("Recorded at (UTC)", vote["decidedAt"]),
        ("Approval so far", ballot["decision"]),
    ])
    return _page("Decision recorded", f"<p class=\"notice\">{escape(first)}</p>{facts}")


def error_page(problem: dict[str, Any]) -> str:
    """A readable page for a problem document (bad, foreign, expired or closed link)."""
    return _page(str(problem["title"]),
                 f"<p class=\"notice\">{escape(str(problem['detail']))}</p>"
                 f"<p>HTTP status {int(problem['status'])}. If you think this is wrong, "
                 f"contact the person who asked for your approval.</p>")
