"""Expressions and templates: JSONPaths, intrinsic calls, ``.$`` keys.

An *expression* is the string on the right of a ``.$`` key (or a whole template that is a
string): a JSONPath such as ``$.state.deadline`` or an intrinsic call such as
``addDuration($.state.deadline, 'PT24H')``. Expressions compile once (cached by text) into a
small tree that evaluates against the workflow data document.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from .errors import INTRINSIC_FAILED, ExpressionError, WorkflowError
from .paths import JsonPath, compile_path
from .timeutil import format_timestamp, parse_duration, parse_timestamp

__all__ = [
    "INTRINSICS",
    "Clock",
    "Expression",
    "compile_expression",
    "compile_template",
    "evaluate_template",
    "is_expression_text",
]


class Clock(Protocol):
    """The deterministic sources intrinsics may use: the orchestration's time and uuids."""

    def now(self) -> datetime: ...

    def uuid(self) -> str: ...


class Expression(Protocol):
    def evaluate(self, document: Any, clock: Clock) -> Any: ...


@dataclass(frozen=True)
class _Path:
    path: JsonPath

    def evaluate(self, document: Any, clock: Clock) -> Any:
        return self.path.read(document)


@dataclass(frozen=True)
class _Literal:
    value: Any

    def evaluate(self, document: Any, clock: Clock) -> Any:
        return self.value


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[Expression, ...]

    def evaluate(self, document: Any, clock: Clock) -> Any:
        values = [arg.evaluate(document, clock) for arg in self.args]
        function = INTRINSICS[self.name]
        try:
            return function.call(clock, values)
        except WorkflowError:
            raise
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise WorkflowError(INTRINSIC_FAILED, f"{self.name}(): {exc}") from None


# --- intrinsics -------------------------------------------------------------------------


def _add_duration(clock: Clock, args: list[Any]) -> Any:
    return format_timestamp(parse_timestamp(args[0]) + parse_duration(args[1]))


def _format(clock: Clock, args: list[Any]) -> Any:
    template, values = args[0], args[1:]
    if not isinstance(template, str):
        raise ValueError(f"the first argument must be a string template, got {template!r}")
    pieces = template.split("{}")
    if len(pieces) - 1 != len(values):
        raise ValueError(
            f"template {template!r} has {len(pieces) - 1} '{{}}' placeholders "
            f"but {len(values)} values were given"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(value if isinstance(value, str) else json.dumps(value))
        out.append(piece)
    return "".join(out)


def _length(clock: Clock, args: list[Any]) -> Any:
    value = args[0]
    if not isinstance(value, list | dict | str):
        raise ValueError(f"expected a list, object or string, got {type(value).__name__}")
    return len(value)


def _add(clock: Clock, args: list[Any]) -> Any:
    # Counting in a loop (events received in a window) needs arithmetic; JSON's true/false
    # are not numbers here, as in the conditions.
    for value in args:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"expected numbers, got {json.dumps(value)[:40]}")
    total = args[0] + args[1]
    if isinstance(total, float) and not math.isfinite(total):
        raise ValueError("the sum is not a finite number")
    return total


def _merge(clock: Clock, args: list[Any]) -> Any:
    left, right = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise ValueError("both arguments must be objects")
    return _deep_merge(left, right)


def _deep_merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(left)
    for key, value in right.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class Intrinsic:
    """An intrinsic function: its arity bounds (``None`` = any number) and implementation."""

    min_args: int
    max_args: int | None
    call: Callable[[Clock, list[Any]], Any]


INTRINSICS: dict[str, Intrinsic] = {
    "add": Intrinsic(2, 2, _add),
    "addDuration": Intrinsic(2, 2, _add_duration),
    "format": Intrinsic(1, None, _format),
    "length": Intrinsic(1, 1, _length),
    "uuid": Intrinsic(0, 0, lambda clock, args: clock.uuid()),
    "merge": Intrinsic(2, 2, _merge),
    "now": Intrinsic(0, 0, lambda clock, args: format_timestamp(clock.now())),
}


# --- parsing ----------------------------------------------------------------------------

_CALL_START = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}


def is_expression_text(text: str) -> bool:
    """Whether a bare template string is an expression rather than a literal."""
    return text.startswith("$") or (
        _CALL_START.match(text) is not None and text.rstrip().endswith(")")
    )


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Compile a path or an intrinsic call; :class:`ExpressionError` says what is wrong."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {type(text).__name__}")
    parser = _Parser(text)
    expression = parser.expression()
    parser.skip_space()
    if parser.position != len(text):
        raise ExpressionError(
            f"unexpected {text[parser.position :]!r} after expression in {text!r}"
        )
    if isinstance(expression, _Literal):
        raise ExpressionError(
            "expected a JSONPath starting with '$' or an intrinsic call such as now(), "
            f"got {text!r}"
        )
    return expression


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def expression(self) -> Expression:
        self.skip_space()
        text, start = self.text, self.position
        if start >= len(text):
            raise ExpressionError(f"expression {text!r} ends where a value was expected")
        char = text[start]
        if char == "$":
            return _Path(compile_path(self._path_text()))
        if char in "'\"":
            return _Literal(self._string(char))
        call = _CALL_START.match(text, start)
        if call is not None:
            return self._call(call)
        number = _NUMBER.match(text, start)
        if number is not None:
            self.position = number.end()
            literal = number.group(0)
            return _Literal(float(literal) if any(c in literal for c in ".eE") else int(literal))
        for word, value in _KEYWORDS.items():
            if text.startswith(word, start):
                self.position = start + len(word)
                return _Literal(value)
        raise ExpressionError(f"unexpected {text[start:]!r} in expression {text!r}")

    def _path_text(self) -> str:
        # A path runs to the first ',' or ')' outside brackets, parentheses and quotes.
        text, depth, quote = self.text, 0, ""
        start = position = self.position
        while position < len(text):
            char = text[position]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            position += 1
        self.position = position
        return text[start:position].strip()

    def _string(self, quote: str) -> str:
        text, position = self.text, self.position + 1
        out: list[str] = []
        while position < len(text):
            char = text[position]
            if char == "\\" and position + 1 < len(text):
                out.append(text[position + 1])
                position += 2
                continue
            if char == quote:
                self.position = position + 1
                return "".join(out)
            out.append(char)
            position += 1
        raise ExpressionError(f"unterminated string in expression {text!r}")

    def _call(self, match: re.Match[str]) -> Expression:
        name = match.group(1)
        if name not in INTRINSICS:
            known = ", ".join(sorted(INTRINSICS))
            raise ExpressionError(f"unknown intrinsic {name}() in {self.text!r}; known: {known}")
        self.position = match.end()
        args: list[Expression] = []
        self.skip_space()
        if self.position < len(self.text) and self.text[self.position] == ")":
            self.position += 1
        else:
            while True:
                args.append(self.expression())
                self.skip_space()
                if self.position >= len(self.text):
                    raise ExpressionError(f"missing ')' in {self.text!r}")
                char = self.text[self.position]
                self.position += 1
                if char == ")":
                    break
                if char != ",":
                    raise ExpressionError(f"expected ',' or ')' in {self.text!r}, got {char!r}")
        spec = INTRINSICS[name]
        if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
            wanted = (
                str(spec.min_args)
                if spec.max_args == spec.min_args
                else f"at least {spec.min_args}"
                if spec.max_args is None
                else f"{spec.min_args} to {spec.max_args}"
            )
            raise ExpressionError(
                f"{name}() takes {wanted} arguments, got {len(args)} in {self.text!r}"
            )
        return _Call(name, tuple(args))


# --- templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Object:
    items: tuple[tuple[str, Any], ...]  # (key, compiled) pairs; compiled is a _Node

    def evaluate(self, document: Any, clock: Clock) -> Any:
        return {key: node.evaluate(document, clock) for key, node in self.items}


@dataclass(frozen=True)
class _Array:
    items: tuple[Any, ...]

    def evaluate(self, document: Any, clock: Clock) -> Any:
        return [node.evaluate(document, clock) for node in self.items]


@dataclass(frozen=True)
class _Constant:
    value: Any

    def evaluate(self, document: Any, clock: Clock) -> Any:
        # Templates hand out fresh copies so a state never aliases definition data.
        return copy.deepcopy(self.value) if isinstance(self.value, dict | list) else self.value


def compile_template(template: Any, *, top_level: bool = True) -> Expression:
    """Compile a template: objects with ``.$`` keys, arrays, literals.

    A template that is itself a string is an expression when it starts with ``$`` or is an
    intrinsic call (so ``"output": "$.state"`` works); strings nested inside objects and
    arrays are literal unless their key ends with ``.$``.
    """
    if isinstance(template, str) and top_level and is_expression_text(template):
        return compile_expression(template)
    if isinstance(template, dict):
        if not any(isinstance(k, str) and k.endswith(".$") for k in template) and not any(
            isinstance(v, dict | list) for v in template.values()
        ):
            return _Constant(template)
        items: list[tuple[str, Any]] = []
        for key, value in template.items():
            if key.endswith(".$"):
                items.append((key[:-2], compile_expression(value)))
            else:
                items.append((key, compile_template(value, top_level=False)))
        return _Object(tuple(items))
    if isinstance(template, list):
        return _Array(tuple(compile_template(item, top_level=False) for item in template))
    return _Constant(template)


def template_expressions(
    template: Any, pointer: str, *, top_level: bool = True
) -> Sequence[tuple[str, Any]]:
    """Every expression text in a template with its JSON pointer (for the validator)."""
    found: list[tuple[str, Any]] = []
    if isinstance(template, str) and top_level and is_expression_text(template):
        found.append((pointer, template))
    elif isinstance(template, dict):
        for key, value in template.items():
            child = f"{pointer}/{_escape(str(key))}"
            if isinstance(key, str) and key.endswith(".$"):
                found.append((child, value))
            else:
                found.extend(template_expressions(value, child, top_level=False))
    elif isinstance(template, list):
        for index, item in enumerate(template):
            found.extend(template_expressions(item, f"{pointer}/{index}", top_level=False))
    return found


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def evaluate_template(template: Any, document: Any, clock: Clock) -> Any:
    """Evaluate a template (compiled on first use, then cached by its JSON text)."""
    if template is None:
        return None
    return _compile_cached(json.dumps(template)).evaluate(document, clock)


@lru_cache(maxsize=2048)
def _compile_cached(template_json: str) -> Expression:
    return compile_template(json.loads(template_json))
