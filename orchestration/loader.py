"""The loader activity's body: settings -> sources -> a pinned definition (I/O lives here)."""

from __future__ import annotations

from typing import Any

from .blob_definitions import BlobSource
from .definitions_store import DefinitionSource, FolderSource, load_definition

__all__ = ["load_requested", "sources_from_settings"]


def sources_from_settings(values: Any) -> list[DefinitionSource]:
    """The folder ``WORKFLOWS_PATH`` and, when storage is configured, the definitions container."""
    sources: list[DefinitionSource] = [FolderSource(values.get("WORKFLOWS_PATH") or "workflows")]
    connection = values.get("DOCUMENTS_STORAGE") or values.get("AzureWebJobsStorage")
    container = values.get("WORKFLOW_DEFINITIONS_CONTAINER") or "workflow-definitions"
    if connection:
        sources.append(BlobSource.from_connection_string(connection, container))
    return sources


def load_requested(request: Any) -> dict[str, Any]:
    """Serve one ``{"workflow", "version"?}`` request with the app's settings."""
    import settings  # the app's one settings module; imported here so the core never reads it

    if not isinstance(request, dict):
        raise TypeError('the loader expects {"workflow": "<name>", "version": "<semver>"}')
    definition = load_definition(
        request.get("workflow", ""), request.get("version"), sources_from_settings(settings.load())
    )
    return definition.to_json()
