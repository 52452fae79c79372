"""Outside text made safe where it enters and where it leaves: properties over any text."""

from __future__ import annotations

import email.policy
import json
from email.message import EmailMessage

import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from services.errors import InvalidInput
from services.json_input import JsonInputError, parse_json
from services.text import (
    body_text,
    check_name,
    clean_text,
    header_text,
    log_text,
    xml_text,
)

# Any code point, surrogates included (JSON can carry them as \\ud800 escapes).
ANY_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=200,
)
HOSTILE = st.sampled_from(
    ["\r\n", "\f", "\x00", "\x1b[31m", "\u2028", "\ud800", "<script>", "\x85", "\ufffe", "\x7f"]
)
MIXED = st.lists(st.one_of(ANY_TEXT, HOSTILE), max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_xml_text_is_always_accepted_by_python_docx(text: str) -> None:
    document = Document()
    document.add_paragraph(xml_text(text))
    document.add_table(rows=1, cols=1).rows[0].cells[0].text = xml_text(text)


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_a_header_is_always_one_encodable_line(text: str) -> None:
    line = header_text(text)
    assert "\n" not in line and "\r" not in line and len(line) <= 200
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = line
    message.set_content(body_text(text))
    message.as_bytes()  # neither header nor body can break the message


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_a_log_value_is_one_line_of_encodable_text(text: str) -> None:
    value = log_text(text)
    assert "\n" not in value and "\r" not in value
    value.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_clean_text_keeps_line_breaks_and_drops_other_controls_or_refuses(text: str) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        with pytest.raises(InvalidInput, match="surrogate"):
            clean_text(text, "comment")
        return
    cleaned = clean_text(text, "comment")
    assert "\r" not in cleaned
    assert all(c in "\n\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) for c in cleaned)
    cleaned.encode("utf-8")


@pytest.mark.parametrize("name", ["orders\n", " orders", "ord\x00ers", "a\u0085b", "\ud800x", ""])
def test_names_with_control_characters_surrogates_or_outer_spaces_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_name(name, "physicalName")
    assert caught.value.field == "physicalName"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than"),
        (json.dumps(json.loads("[" * 40 + "]" * 40)).encode(), "nested deeper than"),
        (b'{"a": "\\ud800"}', "unpaired surrogate at /a"),
        (b'{"\\udc00": 1}', "unpaired surrogate in a key"),
        (b"\xff", "not UTF-8"),
        (b'{"a": 1} x', "not JSON"),
        (b"", "not JSON"),
    ],
)
def test_parse_json_refuses_what_would_fail_later(data: bytes, says: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        parse_json(data, "body")
    assert says in caught.value.problem
    assert caught.value.field == "body"


def test_parse_json_takes_ordinary_documents_up_to_the_depth() -> None:
    deep = "[" * 32 + "]" * 32
    assert parse_json(deep) is not None
    assert parse_json('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001f600"}
