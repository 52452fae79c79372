"""Where the management API finds definitions and the registry (built once per settings)."""

from __future__ import annotations

import functools

import settings
from orchestration.activity_registry import ActivityRegistry, default_registry
from orchestration.sources import DefinitionSource, sources_from_settings

__all__ = ["definition_sources", "definitions_container", "registry"]

_KEYS = (
    "WORKFLOWS_PATH",
    "WORKFLOW_DEFINITIONS_CONTAINER",
    "DOCUMENTS_STORAGE",
    "DOCUMENTS_STORAGE__blobServiceUri",
    "AzureWebJobsStorage",
)


@functools.lru_cache(maxsize=8)
def _sources(values: tuple[str | None, ...]) -> list[DefinitionSource]:
    return sources_from_settings(settings.Settings(dict(zip(_KEYS, values, strict=True))))


def definition_sources() -> list[DefinitionSource]:
    """The loader's sources: the folder ``WORKFLOWS_PATH`` and the definitions container."""
    current = settings.load()
    return _sources(tuple(current.get(k) for k in _KEYS))


def definitions_container() -> str:
    return settings.load().get("WORKFLOW_DEFINITIONS_CONTAINER") or "workflow-definitions"


def registry() -> ActivityRegistry:
    return default_registry()
