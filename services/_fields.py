"""Field metadata for the services' dataclasses: how the edges' encoder (``wire.to_json``)
writes a field whose JSON is not the plain camelCase of its name.

The marks live here, not in ``wire``, because services may not import ``wire`` (the layer
contracts keep the wire's conventions out of them), yet a dataclass is declared where its
fields are; ``wire`` reads these keys and re-exports the functions for the edges.
"""

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
