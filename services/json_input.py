"""JSON from outside: parsed once, with limits, so bad input is a clear 400 or quarantine.

``json.loads`` alone answers a deeply nested document with ``RecursionError`` (which the
ingress used to take for a transient failure and redeliver ten times) and accepts unpaired
surrogates (``"\\ud800"``) that later fail every UTF-8 write. ``parse_json`` refuses both,
naming the place, with the same ``InvalidInput`` whatever the caller.
"""

from __future__ import annotations

import json
from typing import Any

from services.errors import InvalidInput
from services.text import has_surrogate

__all__ = ["MAX_DEPTH", "JsonInputError", "parse_json"]

MAX_DEPTH = 32  # our own documents nest 6 levels; workflow definitions pass their own limit


class JsonInputError(InvalidInput):
    """Input that is not usable JSON; ``problem`` says why in a few words (``not JSON: ...``)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, f"expected JSON in UTF-8; it is {problem}")
        self.problem = problem


def parse_json(data: bytes | str, field: str = "body", *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data`` (UTF-8 bytes or text), or ``JsonInputError`` naming
    ``field``: not UTF-8, not JSON, nested deeper than ``max_depth``, or holding an unpaired
    surrogate."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as error:
        raise JsonInputError(
            field, f"not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonInputError(field, f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as error:
        raise JsonInputError(
            field, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    _check(value, field, max_depth)
    return value


def _check(root: Any, field: str, max_depth: int) -> None:
    """Depth and surrogates, without recursion (the value may be a thousand levels deep)."""
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, pointer, depth = stack.pop()
        if isinstance(value, str):
            if has_surrogate(value):
                raise JsonInputError(field, f"not text: an unpaired surrogate at {pointer or '/'}")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= max_depth:
            raise JsonInputError(field, f"nested deeper than {max_depth} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                if has_surrogate(key):
                    raise JsonInputError(
                        field, f"not text: an unpaired surrogate in a key at {pointer or '/'}"
                    )
                stack.append((item, f"{pointer}/{key}", depth + 1))
        else:
            stack.extend((item, f"{pointer}/{i}", depth + 1) for i, item in enumerate(value))
