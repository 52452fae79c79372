"""JSONPath reads (jsonpath-ng syntax, optional ``?`` suffix) and result-path writes.

Compiled paths are cached by their text: a definition's paths are compiled once per process,
not once per replay. A *singular* path (fields and indexes only) is read by walking the
document directly, which is both faster and exactly what jsonpath-ng would return.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext.parser import parse as _parse_jsonpath

from .errors import ExpressionError, PathNotFound

__all__ = ["JsonPath", "ResultPath", "compile_path", "compile_result_path"]

_MISSING = object()


def _walk(document: Any, steps: tuple[str | int, ...]) -> Any:
    value = document
    for step in steps:
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
    return value


def _walk_fields(document: Any, steps: tuple[str | int, ...]) -> Any:
    """:func:`_walk` for a path of fields only (nearly every path), minus the checks: in JSON
    data only an object answers a string key, anything else raises."""
    value = document
    try:
        for step in steps:
            value = value[step]
    except (KeyError, TypeError, IndexError):
        return _MISSING
    return value


@dataclass(frozen=True)
class JsonPath:
    """A compiled read path. ``optional`` paths (written ``$.a.b?``) yield ``None`` when empty."""

    text: str
    optional: bool
    singular: bool
    steps: tuple[str | int, ...] | None
    expression: Any
    walk: Callable[[Any, tuple[str | int, ...]], Any] = field(
        default=_walk, compare=False, repr=False
    )

    def read(self, document: Any) -> Any:
        """The value at this path; a list of values for wildcard/filter paths."""
        if self.steps is not None:
            value = self.walk(document, self.steps)
            if value is not _MISSING:
                return value
        else:
            matches = [m.value for m in self.expression.find(document)]
            if matches or not self.singular:
                if self.singular:
                    return matches[0]
                if matches:
                    return matches
        if self.optional:
            return None
        raise PathNotFound(self.text)

    def exists(self, document: Any) -> bool:
        """Whether the path matches anything (``isPresent``)."""
        if self.steps is not None:
            return self.walk(document, self.steps) is not _MISSING
        return bool(self.expression.find(document))


def _singular_steps(node: Any) -> tuple[str | int, ...] | None:
    """Field/index steps of a path made only of ``$``, single fields and single indexes."""
    if isinstance(node, jp.Root):
        return ()
    if isinstance(node, jp.Child):
        left = _singular_steps(node.left)
        right = _singular_steps_leaf(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def _singular_steps_leaf(node: Any) -> tuple[str | int, ...] | None:
    if isinstance(node, jp.Fields) and len(node.fields) == 1 and node.fields[0] != "*":
        return (str(node.fields[0]),)
    if isinstance(node, jp.Index) and len(getattr(node, "indices", (0, 0))) == 1:
        return (int(node.indices[0]),)
    return None


@lru_cache(maxsize=4096)
def compile_path(text: str) -> JsonPath:
    """Compile a read path such as ``$.state.ballot.decision`` or ``$.input.cc?``."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise ExpressionError(f"a path must start with '$', got {text!r}")
    optional = text.endswith("?")
    body = text[:-1] if optional else text
    try:
        expression = _parse_jsonpath(body)
    except Exception as exc:  # jsonpath-ng raises several unrelated exception types
        raise ExpressionError(f"JSONPath {text!r} does not parse: {exc}") from None
    steps = _singular_steps(expression)
    fields_only = steps is not None and all(isinstance(step, str) for step in steps)
    walk = _walk_fields if fields_only else _walk
    return JsonPath(text, optional, steps is not None, steps, expression, walk)


_RESULT_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]")


@dataclass(frozen=True)
class ResultPath:
    """Where a state's result is written; always inside ``$.state``."""

    text: str
    steps: tuple[str | int, ...]

    def write(self, document: dict[str, Any], value: Any) -> None:
        """Set the value, creating missing objects on the way (``$.state.a.b`` makes ``a``)."""
        if not self.steps:
            if not isinstance(value, dict):
                raise ExpressionError(
                    f"resultPath '$.state' replaces the whole state and needs an object, "
                    f"got {type(value).__name__}"
                )
            document["state"] = value
            return
        target: Any = document["state"]
        for step, following in zip(self.steps, self.steps[1:], strict=False):
            target = _child_container(target, step, following, self.text)
        last = self.steps[-1]
        if isinstance(last, int):
            if not isinstance(target, list) or last >= len(target):
                raise ExpressionError(f"resultPath {self.text}: no list item {last} to replace")
            target[last] = value
        else:
            if not isinstance(target, dict):
                raise ExpressionError(f"resultPath {self.text}: {last!r} is not inside an object")
            target[last] = value


def _child_container(target: Any, step: str | int, following: str | int, text: str) -> Any:
    if isinstance(step, int):
        if not isinstance(target, list) or step >= len(target):
            raise ExpressionError(f"resultPath {text}: no list item {step}")
        return target[step]
    if not isinstance(target, dict):
        raise ExpressionError(f"resultPath {text}: {step!r} is not inside an object")
    child = target.get(step)
    if not isinstance(child, dict | list):
        child = [] if isinstance(following, int) else {}
        target[step] = child
    return child


@lru_cache(maxsize=1024)
def compile_result_path(text: str) -> ResultPath:
    """Compile ``$.state``, ``$.state.x``, ``$.state['a b'][0]``; anything else is an error."""
    if not isinstance(text, str) or not (
        text == "$.state" or text.startswith(("$.state.", "$.state["))
    ):
        raise ExpressionError(f"a result path must start with '$.state', got {text!r}")
    rest = text[len("$.state") :]
    steps: list[str | int] = []
    position = 0
    while position < len(rest):
        match = _RESULT_STEP.match(rest, position)
        if match is None:
            raise ExpressionError(
                f"result path {text!r}: expected '.name', \"['name']\" or '[index]' "
                f"at {rest[position:]!r}"
            )
        name, quoted, index = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return ResultPath(text, tuple(steps))
