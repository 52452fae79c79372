"""Mail templates for the ``notify`` activity: ``{{ name }}`` placeholders filled from values.

A placeholder is a dotted path into the values (``{{ claim.amount }}``, ``{{ items.0 }}``);
one without a value is an error naming it, so a typo never mails "Dear ," to a customer. Values
go into the HTML body escaped (``<``, ``&``, quotes), into the text body as they are, and into
the subject on one line (line breaks and other control characters become spaces). Lone
surrogates, which no mail can carry, become U+FFFD.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from services.errors import InvalidInput

__all__ = ["placeholders", "render_html", "render_subject", "render_text"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MISSING = object()


def placeholders(template: str) -> list[str]:
    """The value paths a template names, in order."""
    return [match.group(1) for match in _PLACEHOLDER.finditer(template)]


def render_subject(template: str, values: Mapping[str, Any], field: str = "subject") -> str:
    """One line, at most 200 characters."""
    line = _LINE_BREAKS.sub(" ", _render(template, values, field, lambda text: text)).strip()
    if not line:
        raise InvalidInput(field, "expected a subject that is not empty once filled in")
    return line[:200]


def render_text(template: str, values: Mapping[str, Any], field: str = "text") -> str:
    return _CONTROL.sub("", _render(template, values, field, lambda text: text))


def render_html(template: str, values: Mapping[str, Any], field: str = "html") -> str:
    return _CONTROL.sub(
        "", _render(template, values, field, lambda text: html.escape(text, quote=True))
    )


def _render(template: str, values: Mapping[str, Any], field: str, escape: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        value = _lookup(values, match.group(1))
        if value is _MISSING:
            raise InvalidInput(
                field, f"placeholder {{{{ {match.group(1)} }}}} has no value in values"
            )
        return str(escape(_clean(_as_text(value))))

    return _clean(_PLACEHOLDER.sub(fill, template))


def _lookup(values: Mapping[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)
