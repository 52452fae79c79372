"""Field metadata saying how a service dataclass field is written as JSON (``wire.to_json``
reads it). It lives here, not in ``wire``, because services declare their own fields and may
not import ``wire`` (the layer contracts); ``wire`` re-exports these switches."""

from __future__ import annotations

from typing import Any

__all__ = ["INLINE", "NAME", "OMIT_NONE", "inline", "json_name", "omit_none"]

NAME = "wire.name"
OMIT_NONE = "wire.omit_none"
INLINE = "wire.inline"


def json_name(name: str) -> dict[str, Any]:
    """Field metadata: write the field under ``name`` instead of its camelCase name."""
    return {NAME: name}


def omit_none() -> dict[str, Any]:
    """Field metadata: leave the key out while the value is ``None``."""
    return {OMIT_NONE: True}


def inline() -> dict[str, Any]:
    """Field metadata: merge the field's mapping (or dataclass) into the enclosing object."""
    return {INLINE: True}
