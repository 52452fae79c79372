"""Deterministic identifiers: a retried activity derives the same key and so writes nothing twice.

Keys are built from what identifies the step (instance id, step name, role, approver, ...), never
from the clock or randomness.
"""

from __future__ import annotations

import re
import uuid

__all__ = ["canonical_document_id", "derive_id"]

_UUID_TEXT = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    r"[0-9A-Fa-f]{12}"
)

# A fixed namespace so ids are stable across processes, machines and releases.
_NAMESPACE = uuid.UUID("5b0c9a52-8f6e-4c1e-9a57-4b1f2f6f2d11")


def derive_id(*parts: str | int) -> str:
    """A UUID (version 5) string from the parts, e.g. ``derive_id(instance_id, "drafted")``."""
    if not parts:
        raise ValueError("derive_id needs at least one part")
    # The unit separator cannot appear in ids or names, so ("a|b",) and ("a", "b") never collide.
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def canonical_document_id(text: str) -> str:
    """A document id as ingress stores it: a UUID written in any case is lower case (SQL
    Server prints them upper case); anything else is left alone and simply finds nothing."""
    return text.lower() if _UUID_TEXT.fullmatch(text) else text
