"""Function route templates (the ASP.NET syntax the Functions host uses) as matchers.

Supports literal segments (case-insensitive), ``{name}``, optional ``{name?}``, catch-all
``{*name}``, defaults ``{name=value}`` and the constraints ``int``, ``long``, ``bool``,
``guid``, ``alpha``, ``double``/``float``/``decimal``, ``datetime``, ``minlength(n)``,
``maxlength(n)``, ``length(n)``/``length(a,b)``, ``min(n)``, ``max(n)``, ``range(a,b)`` and
``regex(...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

__all__ = ["RouteError", "RouteTemplate"]

_PARAM_HEAD = re.compile(r"^(?P<star>\*{1,2})?(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
_CONSTRAINT = re.compile(r"^([a-zA-Z]+)(?:\((.*)\))?$", re.DOTALL)
_SIMPLE = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "datetime": r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+Z?)?",
}


class RouteError(ValueError):
    """A route template that cannot be parsed; the message quotes it."""


@dataclass
class _Param:
    name: str
    pattern: str
    checks: list[tuple[str, str]] = field(default_factory=list)
    optional: bool = False
    default: str | None = None
    catch_all: bool = False


@dataclass
class RouteTemplate:
    template: str
    regex: re.Pattern[str]
    params: list[_Param]
    literals: int

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        text = template.strip("/")
        parts = text.split("/") if text else []
        pattern = ""
        params: list[_Param] = []
        literals = 0
        for index, part in enumerate(parts):
            if not part:
                raise RouteError(f"route {template!r}: empty segment")
            if not (part.startswith("{") and part.endswith("}")):
                if "{" in part or "}" in part:
                    raise RouteError(f"route {template!r}: cannot parse segment {part!r}")
                pattern += "/" + re.escape(part)
                literals += 1
                continue
            param = _parse_param(part[1:-1], template)
            if any(p.name.lower() == param.name.lower() for p in params):
                raise RouteError(f"route {template!r}: parameter {param.name!r} appears twice")
            if param.catch_all:
                if index != len(parts) - 1:
                    raise RouteError(f"route {template!r}: a catch-all must be the last segment")
                param.pattern = r".*"
                param.optional = True
            group = f"(?P<{param.name}>{param.pattern})"
            pattern += f"(?:/{group})?" if param.optional else f"/{group}"
            params.append(param)
        regex = re.compile(f"^{pattern}/?$", re.IGNORECASE) if pattern else re.compile(r"^/?$")
        return cls(template=template, regex=regex, params=params, literals=literals)

    @property
    def precedence(self) -> tuple[int, int]:
        """Sort key: more literal segments first, then fewer catch-alls/optionals."""
        loose = sum(1 for p in self.params if p.catch_all or p.optional)
        return (-self.literals, loose)

    def match(self, path: str) -> dict[str, Any] | None:
        found = self.regex.match("/" + path.strip("/") if path.strip("/") else "")
        if found is None:
            return None
        values: dict[str, Any] = {}
        for param in self.params:
            raw = found.group(param.name)
            if raw is None or raw == "":
                if param.default is not None:
                    values[param.name] = param.default
                continue
            value = unquote(raw)
            if not all(_check(kind, arg, value) for kind, arg in param.checks):
                return None
            values[param.name] = value
        return values


def _parse_param(body: str, template: str) -> _Param:
    """Parse ``name:constraint(args):...?=default`` (the inside of one ``{...}`` segment).

    Constraint arguments may hold any characters, with ``{{``/``}}`` for literal braces as in
    ASP.NET, so a regex such as ``regex(^\\d{{3}}(-\\d+)?$)`` is read whole.
    """
    head = _PARAM_HEAD.match(body)
    if head is None:
        raise RouteError(f"route {template!r}: cannot parse parameter {{{body}}}")
    param = _Param(name=head["name"], pattern=r"[^/]+", catch_all=bool(head["star"]))
    rest = body[head.end() :]
    constraints: list[str] = []
    depth, i = 0, 0
    while i < len(rest):
        char = rest[i]
        if depth == 0 and char in ":?=":
            if char == ":":
                constraints.append("")
            elif char == "?" and (i == len(rest) - 1 or rest[i + 1] == "="):
                param.optional = True
            elif char == "=":
                param.default, param.optional = rest[i + 1 :], True
                break
            else:
                raise RouteError(f"route {template!r}: cannot parse parameter {{{body}}}")
            i += 1
            continue
        if not constraints:
            raise RouteError(f"route {template!r}: cannot parse parameter {{{body}}}")
        depth += {"(": 1, ")": -1}.get(char, 0)
        constraints[-1] += char
        i += 1
    for text in constraints:
        _add_constraint(param, text.replace("{{", "{").replace("}}", "}"), template)
    return param


def _add_constraint(param: _Param, text: str, template: str) -> None:
    found = _CONSTRAINT.match(text)
    if found is None:
        raise RouteError(f"route {template!r}: cannot parse constraint {text!r}")
    cname, arg = found[1].lower(), found[2] or ""
    if cname in _SIMPLE:
        param.pattern = _SIMPLE[cname]
    elif cname == "regex":
        try:
            re.compile(arg)
        except re.error as exc:
            raise RouteError(f"route {template!r}: bad regex {arg!r}: {exc}") from exc
        param.checks.append((cname, arg))
    elif cname in {"minlength", "maxlength", "length", "min", "max", "range"}:
        param.checks.append((cname, arg))
    else:
        raise RouteError(f"route {template!r}: unknown constraint {cname!r}")


def _check(kind: str, arg: str, value: str) -> bool:
    if kind == "regex":
        # ASP.NET's regex constraint: case-insensitive and unanchored unless the regex anchors.
        return re.search(arg, value, re.IGNORECASE) is not None
    nums = [a.strip() for a in arg.split(",") if a.strip()]
    try:
        if kind == "minlength":
            return len(value) >= int(nums[0])
        if kind == "maxlength":
            return len(value) <= int(nums[0])
        if kind == "length":
            return (
                len(value) == int(nums[0])
                if len(nums) == 1
                else int(nums[0]) <= len(value) <= int(nums[1])
            )
        number = float(value)
        if kind == "min":
            return number >= float(nums[0])
        if kind == "max":
            return number <= float(nums[0])
        return float(nums[0]) <= number <= float(nums[1])  # range
    except (ValueError, IndexError):
        return False
