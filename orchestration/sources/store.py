"""Finding and loading definitions: the folder ``WORKFLOWS_PATH`` and the blob container.

This is the I/O side of the loader activity (the orchestrator itself never reads files).
A definition lives at ``<WORKFLOWS_PATH>/**/<file>.json`` (any file whose ``name`` and
``version`` fields match) or in blob container ``workflow-definitions`` as
``<name>/<version>.json``. ``"latest"`` (or no version) is the highest semantic version across
both; the folder wins when both hold the same version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ..definition import Definition, content_hash, parse_semver, semver_key
from ..validation import Diagnostic, has_errors, validate_text

__all__ = [
    "DefinitionInvalid",
    "DefinitionNotFound",
    "DefinitionSource",
    "FolderSource",
    "load_definition",
]

log = logging.getLogger(__name__)


class DefinitionNotFound(LookupError):
    """No definition with that name (and version) in any source."""


class DefinitionInvalid(ValueError):
    """The stored definition does not validate; the message lists every error."""


@dataclass(frozen=True)
class StoredDefinition:
    """Raw text of one stored definition and where it came from."""

    name: str
    version: str
    text: str
    source: str


class DefinitionSource(Protocol):
    """Somewhere definitions are kept (folder, blob container)."""

    def versions(self, name: str) -> list[str]: ...

    def read(self, name: str, version: str) -> StoredDefinition | None: ...

    def catalog(self) -> list[tuple[str, str]]:
        """Every ``(name, version)`` the source holds (for listings, not for loading)."""
        ...


class FolderSource:
    """Definitions in a folder tree; the ``schema`` subfolder is skipped."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __str__(self) -> str:
        return f"folder {self.root}"

    def _scan(self) -> Iterable[tuple[Path, str, str, Any]]:
        """Every definition file now: path, text, name and version (files are read each time,
        so a new instance sees the folder as it is; only the parsing is remembered)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*.json")):
            if "schema" in path.relative_to(self.root).parts[:-1]:
                continue
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, ValueError):
                continue
            names = _name_and_version(text)
            if names is not None:
                yield path, text, names[0], names[1]

    def versions(self, name: str) -> list[str]:
        return [str(version) for _, _, found, version in self._scan() if found == name]

    def catalog(self) -> list[tuple[str, str]]:
        return [(found, str(version)) for _, _, found, version in self._scan()]

    def read(self, name: str, version: str) -> StoredDefinition | None:
        for path, text, found, found_version in self._scan():
            if found == name and found_version == version:
                return StoredDefinition(name, version, text, str(path))
        return None


@lru_cache(maxsize=1024)
def _name_and_version(text: str) -> tuple[str, Any] | None:
    """A file's ``name`` and ``version``, or ``None`` if it is no definition; parsed once per
    distinct text."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("name"), str):
        return document["name"], document.get("version")
    return None


def load_definition(
    name: str,
    version: str | None,
    sources: list[DefinitionSource],
    activities: Iterable[str] | None = None,
) -> Definition:
    """Find, validate and pin a definition. ``version`` None or ``"latest"``: the highest."""
    if not isinstance(name, str) or not name:
        raise DefinitionNotFound("the request needs 'workflow': the name of a definition")
    if version in (None, "", "latest"):
        candidates: set[str] = set()
        for source in sources:
            for found in _safe_versions(source, name):
                try:
                    parse_semver(found)
                except ValueError:
                    continue
                candidates.add(found)
        if not candidates:
            raise DefinitionNotFound(f"no definition named {name!r} in {_describe(sources)}")
        version = max(candidates, key=semver_key)
    assert version is not None
    for source in sources:
        stored = _safe_read(source, name, version)
        if stored is not None:
            return _pin(stored, activities)
    raise DefinitionNotFound(f"no definition {name!r} version {version!r} in {_describe(sources)}")


def _pin(stored: StoredDefinition, activities: Iterable[str] | None) -> Definition:
    return _pinned(stored, None if activities is None else frozenset(activities))


@lru_cache(maxsize=256)
def _pinned(stored: StoredDefinition, known: frozenset[str] | None) -> Definition:
    """Validating, parsing, hashing and packing depend only on the stored text and where it
    came from: each distinct one is pinned once per process and the same (read-only)
    :class:`Definition` is returned after that."""
    diagnostics = list(_validated(stored.text, known))
    if has_errors(diagnostics):
        raise DefinitionInvalid(_summary(stored, diagnostics))
    document = json.loads(stored.text)
    if document.get("name") != stored.name or document.get("version") != stored.version:
        raise DefinitionInvalid(
            f"{stored.source}: holds {document.get('name')!r} {document.get('version')!r}, "
            f"expected {stored.name!r} {stored.version!r}"
        )
    return Definition(stored.name, stored.version, content_hash(document), document, stored.source)


@lru_cache(maxsize=256)
def _validated(text: str, activities: frozenset[str] | None) -> tuple[Diagnostic, ...]:
    """Validation depends only on the text: each distinct text is validated once per process."""
    return tuple(validate_text(text, activities=activities))


def _summary(stored: StoredDefinition, diagnostics: list[Diagnostic]) -> str:
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    return f"{stored.source} does not validate: " + "; ".join(errors)


def _safe_versions(source: DefinitionSource, name: str) -> list[str]:
    try:
        return source.versions(name)
    except Exception as exc:  # an unreachable source must not hide the others
        log.warning("cannot list definitions of %s in %s: %s", name, source, exc)
        return []


def _safe_read(source: DefinitionSource, name: str, version: str) -> StoredDefinition | None:
    try:
        return source.read(name, version)
    except Exception as exc:
        log.warning("cannot read %s %s from %s: %s", name, version, source, exc)
        return None


def _describe(sources: list[DefinitionSource]) -> str:
    return ", ".join(str(s) for s in sources) or "no sources"
