"""The loader activity's body: settings -> sources -> a pinned definition (I/O lives here)."""

from __future__ import annotations

from typing import Any

from .blob import BlobSource
from .store import DefinitionSource, FolderSource, load_definition

__all__ = ["load_requested", "sources_from_settings"]

_STORAGE_SETTINGS = (
    "DOCUMENTS_STORAGE",
    "DOCUMENTS_STORAGE__blobServiceUri",
    "AzureWebJobsStorage",
)


def sources_from_settings(settings: Any) -> list[DefinitionSource]:
    """The folder ``WORKFLOWS_PATH`` and, when storage is configured, the definitions container.

    The container is read through the app's blob adapter (``adapters.build_blob_store``), which
    picks a connection string (Azurite locally) or the identity-based
    ``DOCUMENTS_STORAGE__blobServiceUri`` in Azure.
    """
    sources: list[DefinitionSource] = [FolderSource(settings.get("WORKFLOWS_PATH") or "workflows")]
    if any(settings.get(name) for name in _STORAGE_SETTINGS):
        container = settings.get("WORKFLOW_DEFINITIONS_CONTAINER") or "workflow-definitions"
        sources.append(BlobSource(_blob_store(settings), container))
    return sources


def _blob_store(settings: Any) -> Any:
    """The app's blob adapter, failing fast: an unreachable container must not stall every
    start of a workflow for the storage SDK's 85 s of default retries."""
    from adapters import build_blob_store  # the app's adapters; heavy, imported on use

    return build_blob_store(settings, fail_fast=True)


def load_requested(request: Any) -> dict[str, Any]:
    """Serve one ``{"workflow", "version"?}`` request with the app's settings."""
    import settings  # the app's one settings module; imported here so the core never reads it

    if not isinstance(request, dict):
        raise TypeError('the loader expects {"workflow": "<name>", "version": "<semver>"}')
    definition = load_definition(
        request.get("workflow", ""), request.get("version"), sources_from_settings(settings.load())
    )
    return definition.to_json()
