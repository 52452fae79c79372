"""Workflow definitions for the management API: the catalog, one definition, validation, upload.

Definitions are read from the loader's own sources (``WORKFLOWS_PATH`` and the blob container
``workflow-definitions``), so what the API lists is what an instance would load. Uploads go to
``workflow-definitions/<name>/<version>.json`` after validation against the workflow schema and
the activity registry; a version, once stored, never changes (a running instance pinned it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from orchestration.activity_registry import ActivityRegistry
from orchestration.definition import content_hash, parse_semver, semver_key
from orchestration.graph import state_graph
from orchestration.sources import (
    DefinitionInvalid,
    DefinitionNotFound,
    DefinitionSource,
    load_definition,
)
from orchestration.validation import Diagnostic, has_errors, validate_text

from .errors import Conflict, DefinitionRejected, NotFound, Unprocessable

__all__ = ["MAX_DEFINITION_BYTES", "catalog", "definition_view", "upload", "validate"]

log = logging.getLogger(__name__)

MAX_DEFINITION_BYTES = 1_000_000


def _version_order(version: str) -> tuple[int, Any]:
    try:
        return 1, semver_key(version)
    except ValueError:  # not semver: listed, but never "latest"
        return 0, version


def catalog(sources: Sequence[DefinitionSource]) -> list[dict[str, Any]]:
    """Every definition: name, versions (oldest first, each with where it is), latest and the
    latest's description. A source that cannot be read is logged and skipped."""
    found: dict[str, dict[str, str]] = {}
    for source in sources:
        try:
            listed = source.catalog()
        except Exception as exc:  # an unreachable container must not hide the folder
            log.warning("cannot list the definitions in %s: %s", source, exc)
            continue
        for name, version in listed:
            found.setdefault(name, {}).setdefault(version, str(source))  # the first source wins
    items = []
    for name in sorted(found):
        versions = sorted(found[name], key=_version_order)
        semvers = [v for v in versions if _version_order(v)[0]]
        latest = semvers[-1] if semvers else None
        items.append(
            {
                "name": name,
                "latest": latest,
                "description": _description(sources, name, latest),
                "versions": [{"version": v, "source": found[name][v]} for v in versions],
            }
        )
    return items


def _description(sources: Sequence[DefinitionSource], name: str, version: str | None) -> str | None:
    if version is None:
        return None
    for source in sources:
        try:
            stored = source.read(name, version)
        except Exception:  # listed above, unreadable now: no description
            continue
        if stored is not None:
            try:
                document = json.loads(stored.text)
            except ValueError:
                return None
            text = document.get("description") if isinstance(document, dict) else None
            return text if isinstance(text, str) else None
    return None


def definition_view(
    sources: Sequence[DefinitionSource], name: str, version: str | None
) -> dict[str, Any]:
    """One validated definition with its pin and its states as a graph (for drawing)."""
    try:
        definition = load_definition(name, version, list(sources))
    except DefinitionNotFound as exc:
        raise NotFound(str(exc)) from None
    except DefinitionInvalid as exc:
        raise Unprocessable(str(exc)) from None
    return {
        "name": definition.name,
        "version": definition.version,
        "hash": definition.hash,
        "source": definition.source,
        "graph": state_graph(definition.document),
        "definition": definition.document,
    }


def validate(body: bytes, registry: ActivityRegistry) -> list[Diagnostic]:
    """Every diagnostic of a definition, activities checked against the registry."""
    if len(body) > MAX_DEFINITION_BYTES:
        return [
            Diagnostic(
                "json.invalid",
                "",
                f"the definition is {len(body)} bytes; at most {MAX_DEFINITION_BYTES} are accepted",
            )
        ]
    return validate_text(body, activities=registry.names, registry=registry)


def upload(
    sources: Sequence[DefinitionSource],
    blobs: Any,
    container: str,
    name: str,
    body: bytes,
    registry: ActivityRegistry,
) -> dict[str, Any]:
    """Store a new version; ``{"created": bool, ...}``. ``created`` is False when that version
    already holds the same content (canonical JSON). Raises :class:`DefinitionRejected` (422)
    with every diagnostic, or :class:`Conflict` (409) when the version holds other content."""
    diagnostics = validate(body, registry)
    document = _parsed(body)
    if isinstance(document, dict) and document.get("name") != name:
        diagnostics.append(
            Diagnostic(
                "schema.violation",
                "/name",
                f"the route names workflow {name!r}, the document {document.get('name')!r}",
            )
        )
    if has_errors(diagnostics) or not isinstance(document, dict):
        raise DefinitionRejected(diagnostics)
    version = str(document["version"])
    parse_semver(version)  # the schema holds it to semver
    digest = content_hash(document)
    result = {
        "name": name,
        "version": version,
        "hash": digest,
        "location": f"{container}/{name}/{version}.json",
    }
    existing = _stored_hash(sources, name, version)
    if existing is None:
        text = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
        if blobs.create(container, f"{name}/{version}.json", text, content_type="application/json"):
            return {**result, "created": True}
        existing = _stored_hash(sources, name, version)  # someone stored it meanwhile
    if existing != digest:
        raise Conflict(
            f"workflow {name} version {version} already exists with other content "
            f"({existing}); a stored version never changes: give it a new version"
        )
    return {**result, "created": False}


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _stored_hash(sources: Sequence[DefinitionSource], name: str, version: str) -> str | None:
    for source in sources:
        stored = source.read(name, version)
        if stored is not None:
            try:
                return content_hash(json.loads(stored.text))
            except ValueError:
                return "unreadable"
    return None
