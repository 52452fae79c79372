"""The decision body: the page's form or JSON; every problem names its field."""

from __future__ import annotations

import pytest

from api.decisions import Decision, parse_decision_body
from services import InvalidInput

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (FORM, b"decision=approve&comment=looks+good", Decision("approve", "looks good")),
        (f"{FORM}; charset=utf-8", b"decision=REJECT", Decision("reject", "")),
        (FORM, b"comment=&decision=approve&other=ignored", Decision("approve", "")),
        (
            "application/json",
            b'{"decision": "approve", "comment": "  ok  "}',
            Decision("approve", "ok"),
        ),
        ("application/json; charset=utf-8", b'{"decision": "Reject"}', Decision("reject", "")),
    ],
)
def test_accepted_bodies(content_type: str, body: bytes, expected: Decision) -> None:
    assert parse_decision_body(content_type, body) == expected


@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        ("application/json", b'{"decision": "maybe"}', "decision"),
        ("application/json", b'{"comment": "no decision"}', "decision"),
        ("application/json", b'{"decision": "approve", "vote": 1}', "vote"),
        ("application/json", b'{"decision": "approve", "comment": 5}', "comment"),
        (
            "application/json",
            b'{"decision": "approve", "comment": "' + b"x" * 4001 + b'"}',
            "comment",
        ),
        ("application/json", b"[1]", "body"),
        ("application/json", b"{not json", "body"),
        (FORM, b"decision=approve&decision=reject", "decision"),
        (FORM, b"", "decision"),
        (FORM, b"decision=%FF", "body"),
        ("text/plain", b"approve", "Content-Type"),
        (None, b"{}", "Content-Type"),
    ],
)
def test_refused_bodies_name_the_field(content_type: str | None, body: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_decision_body(content_type, body)
    assert caught.value.field == field
