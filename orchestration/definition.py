"""A loaded workflow definition: name, version, content hash and the document itself."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from functools import cached_property
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


def _canonical(document: Any) -> bytes:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(document: Any) -> str:
    """SHA-256 of the canonical JSON of a definition: what an instance pins."""
    return "sha256:" + hashlib.sha256(_canonical(document)).hexdigest()


# The loader's result lands in every instance's history, and the SDK parses it again on every
# replay: the document travels as its canonical JSON, deflated and base64-encoded, which is a
# fifth of the size and a single flat string to parse. Results recorded with the document as an
# object (``"definition"``) are still read.
_PACKED = "definitionDeflated"


@dataclass(frozen=True)
class Definition:
    """A validated definition as the loader activity returned it."""

    name: str
    version: str
    hash: str
    document: dict[str, Any]
    source: str = ""

    @property
    def pin(self) -> tuple[str, str, str, str]:
        """What identifies this definition's content and origin: hash, name, version, source."""
        return self.hash, self.name, self.version, self.source

    def to_json(self) -> dict[str, Any]:
        """The loader activity's result: the pin, and the document packed (see ``_PACKED``)."""
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "source": self.source,
            _PACKED: self.packed,
        }

    @cached_property
    def packed(self) -> str:
        """The document's canonical JSON, deflated and base64-encoded (computed once)."""
        return base64.b64encode(zlib.compress(_canonical(self.document), 9)).decode("ascii")

    @staticmethod
    def pin_of(data: Any) -> tuple[str, str, str, str]:
        """The pin of a loader result, read without unpacking the document."""
        if not isinstance(data, dict):
            raise ValueError("loader result must be an object")
        for field in ("name", "version", "hash"):
            if not isinstance(data.get(field), str):
                raise ValueError(f"loader result field {field!r} must be a string")
        return data["hash"], data["name"], data["version"], str(data.get("source", ""))

    @classmethod
    def from_json(cls, data: Any) -> Definition:
        """Read the loader activity's result; complains precisely when it is malformed."""
        hash_, name, version, source = cls.pin_of(data)
        document = data.get("definition")
        if document is None and isinstance(data.get(_PACKED), str):
            document = _unpack(data[_PACKED])
        if not isinstance(document, dict):
            raise ValueError(
                f"loader result must hold the definition: a {_PACKED!r} string "
                "or a 'definition' object"
            )
        return cls(name, version, hash_, document, source)

    @property
    def max_transitions(self) -> int:
        limits = self.document.get("limits") or {}
        value = limits.get("maxTransitions", DEFAULT_MAX_TRANSITIONS)
        return int(value)


def _unpack(packed: str) -> Any:
    try:
        return json.loads(zlib.decompress(base64.b64decode(packed, validate=True)))
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise ValueError(f"loader result field {_PACKED!r} does not unpack: {exc}") from None
