"""Text from outside, made safe where it enters and again where it leaves.

Outside text reaches us from messages, approvers' forms, the Easy Auth principal, the policy
file and the source databases' own comments. Where it *enters*, ``check_name`` refuses what no
name may hold and ``clean_text`` tidies free text (a comment pasted from a document carries
form feeds and CR/LF). Where it *leaves*, each sink gets the form it can carry whatever reached
it: ``xml_text`` for .docx (XML 1.0 forbids most control characters), ``header_text`` for a
mail header (one line), ``body_text`` for a mail body and ``log_text`` for a log line (no
forged lines). HTML goes through ``html.escape``. Unpaired surrogates (JSON ``"\\ud800"``)
are never text: they cannot be stored or sent as UTF-8, so input holding one is refused.
"""

from __future__ import annotations

import re

from services.errors import InvalidInput

__all__ = [
    "body_text",
    "check_name",
    "clean_text",
    "has_surrogate",
    "header_text",
    "log_text",
    "xml_text",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL; a name holds none of them, free text only tab and newline.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_FREE_TEXT_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What XML 1.0 allows: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t]+")
# What a log line must not hold raw: controls, Unicode line breaks, surrogates.
_LOG_ESCAPED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def check_name(value: object, field: str, *, max_length: int | None = None) -> str:
    """A name or identifier as given: a non-empty string with no control character, no
    unpaired surrogate and no outer spaces (``"orders\\n"`` is not ``"orders"``)."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(field, "expected a non-empty string")
    if has_surrogate(value):
        raise InvalidInput(field, "expected text; it holds an unpaired surrogate")
    if _CONTROL.search(value):
        raise InvalidInput(field, "expected one line of text without control characters")
    if value != value.strip():
        raise InvalidInput(field, "expected no leading or trailing spaces")
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(field, f"expected at most {max_length} characters")
    return value


def clean_text(value: str, field: str) -> str:
    """Free text as a person meant it: line breaks as LF, other control characters (a
    form feed from a paste) as spaces, outer spaces trimmed. Unpaired surrogates are refused."""
    if has_surrogate(value):
        raise InvalidInput(field, "expected text; it holds an unpaired surrogate")
    text = _LINE_BREAKS.sub("\n", value)
    return _FREE_TEXT_CONTROL.sub(" ", text).strip()


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, text)


def header_text(text: str, limit: int = 200) -> str:
    """One line for a mail header: line breaks and controls become spaces, runs of spaces
    one, at most ``limit`` characters (an ellipsis marks a cut)."""
    spaced = _CONTROL.sub(" ", _LINE_BREAKS.sub(" ", _SURROGATE.sub(REPLACEMENT, text)))
    line = _SPACES.sub(" ", spaced).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def body_text(text: str) -> str:
    """A mail body line: LF line breaks, no other controls, nothing UTF-8 cannot encode."""
    cleaned = _LINE_BREAKS.sub("\n", _SURROGATE.sub(REPLACEMENT, text))
    return _FREE_TEXT_CONTROL.sub(" ", cleaned)


def log_text(text: object, limit: int = 500) -> str:
    """A value for a log line: control characters escaped (a CR/LF in a message cannot start
    a forged log line), surrogates escaped, at most ``limit`` characters."""
    raw = str(text)
    escaped = _LOG_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."
