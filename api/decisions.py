"""The body of ``POST /api/approvals/{token}``: the confirmation page's form or JSON.

Form: ``decision=approve|reject&comment=...`` (``application/x-www-form-urlencoded``).
JSON: ``{"decision": "approve" | "reject", "comment": "..."}``. Each problem names the field.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from services import InvalidInput
from services.approval.ballot import parse_comment, parse_decision
from services.json_input import parse_json

__all__ = ["Decision", "parse_decision_body"]

FORM = "application/x-www-form-urlencoded"
_FIELDS = ("decision", "comment")


@dataclass(frozen=True)
class Decision:
    decision: str  # approve | reject
    comment: str


def parse_decision_body(content_type: str | None, body: bytes) -> Decision:
    """The decision in a request body of ``content_type`` (JSON or a form)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == FORM:
        try:
            pairs = urllib.parse.parse_qs(
                body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=bool(body),
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError):
            raise InvalidInput("body", "expected a URL-encoded form in UTF-8") from None
        for name, values in pairs.items():
            if name in _FIELDS and len(values) > 1:
                raise InvalidInput(name, "expected one value")
        fields: dict[str, object] = {k: v[0] for k, v in pairs.items() if k in _FIELDS}
    elif media_type == "application/json" or media_type.endswith("+json"):
        parsed = parse_json(body)
        if not isinstance(parsed, dict):
            raise InvalidInput("body", 'expected a JSON object with "decision"')
        unknown = sorted(set(parsed) - set(_FIELDS))
        if unknown:
            raise InvalidInput(
                unknown[0], 'not a field of a decision; expected only "decision" and "comment"'
            )
        fields = parsed
    else:
        raise InvalidInput(
            "Content-Type", f"expected application/json or {FORM}, got {media_type or 'none'!r}"
        )
    if "decision" not in fields:
        raise InvalidInput("decision", 'is required: expected "approve" or "reject"')
    return Decision(parse_decision(fields["decision"]), parse_comment(fields.get("comment", "")))
