"""Definitions in a blob container, ``<name>/<version>.json``, read through a ``BlobStore``.

The store is the project's blob adapter (``adapters.blob``: Azurite locally, an identity-based
connection in Azure); anything with ``list_names(container, prefix)`` and
``get(container, name).content`` (raising ``LookupError`` when missing) will do.
"""

from __future__ import annotations

from typing import Any, Protocol

from .store import StoredDefinition

__all__ = ["BlobReader", "BlobSource"]


class BlobReader(Protocol):
    """The two reads the loader needs from a blob store."""

    def list_names(self, container: str, prefix: str = "") -> list[str]: ...

    def get(self, container: str, name: str) -> Any: ...


class BlobSource:
    """Reads ``<name>/<version>.json`` blobs from one container of a blob store."""

    def __init__(self, store: BlobReader, container: str) -> None:
        self.store = store
        self.container = container

    def __str__(self) -> str:
        return f"blob container {self.container}"

    def versions(self, name: str) -> list[str]:
        found = []
        for blob_name in self.store.list_names(self.container, f"{name}/"):
            rest = blob_name[len(name) + 1 :]
            if "/" not in rest and rest.endswith(".json"):
                found.append(rest[: -len(".json")])
        return found

    def catalog(self) -> list[tuple[str, str]]:
        found = []
        for blob_name in self.store.list_names(self.container):
            name, _, rest = blob_name.partition("/")
            if name and rest.endswith(".json") and "/" not in rest:
                found.append((name, rest[: -len(".json")]))
        return found

    def read(self, name: str, version: str) -> StoredDefinition | None:
        blob_name = f"{name}/{version}.json"
        try:
            blob = self.store.get(self.container, blob_name)
        except LookupError:
            return None
        content = blob.content
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else str(content)
        return StoredDefinition(name, version, text, f"{self}/{blob_name}")
