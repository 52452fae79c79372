"""A loaded workflow definition: name, version, content hash and the document itself."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_MAX_TRANSITIONS", "Definition", "content_hash", "parse_semver", "semver_key"]

DEFAULT_MAX_TRANSITIONS = 1000

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


def parse_semver(text: str) -> tuple[int, int, int, tuple[str, ...]]:
    """``1.2.3-rc.1`` as ``(1, 2, 3, ("rc", "1"))``; :class:`ValueError` if not semver."""
    match = _SEMVER.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a semantic version such as '1.0.0', got {text!r}")
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else ()


def semver_key(text: str) -> tuple[Any, ...]:
    """Sort key: higher versions sort later; a pre-release sorts before its release."""
    major, minor, patch, pre = parse_semver(text)
    pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre)
    return (major, minor, patch, 0 if pre else 1, pre_key)


def content_hash(document: Any) -> str:
    """SHA-256 of the canonical JSON of a definition: what an instance pins."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Definition:
    """A validated definition as the loader activity returned it."""

    name: str
    version: str
    hash: str
    document: dict[str, Any]
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "source": self.source,
            "definition": self.document,
        }

    @classmethod
    def from_json(cls, data: Any) -> Definition:
        """Read the loader activity's result; complains precisely when it is malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("definition"), dict):
            raise ValueError("loader result must be an object with a 'definition' object")
        for field in ("name", "version", "hash"):
            if not isinstance(data.get(field), str):
                raise ValueError(f"loader result field {field!r} must be a string")
        return cls(
            data["name"],
            data["version"],
            data["hash"],
            data["definition"],
            str(data.get("source", "")),
        )

    @property
    def max_transitions(self) -> int:
        limits = self.document.get("limits") or {}
        value = limits.get("maxTransitions", DEFAULT_MAX_TRANSITIONS)
        return int(value)
