"""Hold activity inputs and outputs seen in tests against ``activities/schemas/<name>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["assert_matches"]

SCHEMAS = Path(__file__).resolve().parents[2] / "activities" / "schemas"


def assert_matches(activity: str, part: str, value: Any) -> None:
    """Fail with every schema error when ``value`` is not a valid ``part`` (input or output)."""
    schema = json.loads((SCHEMAS / f"{activity}.json").read_text(encoding="utf-8"))[part]
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=str)
    assert not errors, f"{activity} {part}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(value)'}: {e.message}" for e in errors
    )
