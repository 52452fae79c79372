"""Choice conditions: ``{"path": "$.x", "<op>": value}``, ``"<op>.$"``, ``and``/``or``/``not``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from .errors import ExpressionError
from .expressions import Clock, compile_expression
from .paths import compile_path
from .timeutil import parse_timestamp

__all__ = [
    "OPERATORS",
    "Predicate",
    "compile_condition",
    "condition_operator",
    "evaluate_condition",
]


def _same_kind(left: Any, right: Any) -> bool:
    # JSON has no bool/number overlap, Python does (True == 1): keep them apart.
    return isinstance(left, bool) == isinstance(right, bool)


def _equals(left: Any, right: Any) -> bool:
    return _same_kind(left, right) and left == right


def _ordered(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Comparable pair: numbers, timestamps (both ISO 8601), or strings; else ``None``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return None
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        left_time, right_time = _as_time(left), _as_time(right)
        if left_time is not None and right_time is not None:
            return left_time, right_time
        return left, right
    return None


def _as_time(text: str) -> datetime | None:
    if len(text) < 11 or text[4:5] != "-" or "T" not in text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def operator(left: Any, right: Any) -> bool:
        pair = _ordered(left, right)
        return pair is not None and test(*pair)

    return operator


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, str):
        return isinstance(right, str) and right in left
    if isinstance(left, list):
        return any(_equals(item, right) for item in left)
    if isinstance(left, dict):
        return isinstance(right, str) and right in left
    return False


def _in(left: Any, right: Any) -> bool:
    return isinstance(right, list) and any(_equals(left, item) for item in right)


def _matches(left: Any, right: Any) -> bool:
    return (
        isinstance(left, str) and isinstance(right, str) and _regex(right).search(left) is not None
    )


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExpressionError(f"regular expression {pattern!r} does not compile: {exc}") from None


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "notEquals": lambda left, right: not _equals(left, right),
    "greaterThan": _compare(lambda a, b: a > b),
    "greaterThanOrEquals": _compare(lambda a, b: a >= b),
    "lessThan": _compare(lambda a, b: a < b),
    "lessThanOrEquals": _compare(lambda a, b: a <= b),
    "contains": _contains,
    "in": _in,
    "matches": _matches,
}


def condition_operator(condition: dict[str, Any]) -> tuple[str, bool] | None:
    """The comparison operator of a leaf condition and whether it reads a path (``op.$``)."""
    for key in condition:
        if key == "isPresent":
            return key, False
        base = key[:-2] if key.endswith(".$") else key
        if base in OPERATORS:
            return base, key.endswith(".$")
    return None


Predicate = Callable[[Any, Clock], bool]


def compile_condition(condition: dict[str, Any]) -> Predicate:
    """A (validated) condition as a function of the data document.

    Compiling once per definition keeps the per-replay cost to the comparisons themselves:
    which operator, which path and which operand are settled here, not on every evaluation.
    """
    if "and" in condition:
        every = tuple(compile_condition(c) for c in condition["and"])
        return lambda document, clock: all(part(document, clock) for part in every)
    if "or" in condition:
        some = tuple(compile_condition(c) for c in condition["or"])
        return lambda document, clock: any(part(document, clock) for part in some)
    if "not" in condition:
        negated = compile_condition(condition["not"])
        return lambda document, clock: not negated(document, clock)
    found = condition_operator(condition)
    if found is None:
        raise ExpressionError(f"condition {condition!r} has no operator")
    operator, by_path = found
    path = compile_path(condition["path"])
    if operator == "isPresent":
        wanted = bool(condition["isPresent"])
        return lambda document, clock: path.exists(document) == wanted
    test = OPERATORS[operator]
    if by_path:
        other = compile_expression(condition[operator + ".$"])
        return lambda document, clock: test(path.read(document), other.evaluate(document, clock))
    right = condition[operator]
    return lambda document, clock: test(path.read(document), right)


def evaluate_condition(condition: dict[str, Any], document: Any, clock: Clock) -> bool:
    """Evaluate a (validated) condition against the data document."""
    return compile_condition(condition)(document, clock)
