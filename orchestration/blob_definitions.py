"""Definitions in a blob container, ``<name>/<version>.json`` (Azurite locally).

A small reader over azure-storage-blob's ``ContainerClient``; it fails fast (no retries, short
timeouts) so that a missing emulator cannot stall the loader activity for minutes.
"""

from __future__ import annotations

from typing import Any

from .definitions_store import StoredDefinition

__all__ = ["BlobSource"]


class BlobSource:
    """Reads ``<name>/<version>.json`` blobs from one container."""

    def __init__(self, container: Any, label: str = "") -> None:
        self.container = container
        self.label = label or f"blob container {getattr(container, 'container_name', '?')}"

    @classmethod
    def from_connection_string(cls, connection_string: str, container_name: str) -> BlobSource:
        from azure.storage.blob import ContainerClient

        if connection_string.strip() == "UseDevelopmentStorage=true":
            connection_string = _AZURITE
        client = ContainerClient.from_connection_string(
            connection_string,
            container_name,
            retry_total=0,
            connection_timeout=2,
            read_timeout=10,
        )
        return cls(client, f"blob container {container_name}")

    def __str__(self) -> str:
        return self.label

    def versions(self, name: str) -> list[str]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            blobs = list(self.container.list_blobs(name_starts_with=f"{name}/"))
        except ResourceNotFoundError:
            return []
        found = []
        for blob in blobs:
            rest = blob.name[len(name) + 1 :]
            if "/" not in rest and rest.endswith(".json"):
                found.append(rest[: -len(".json")])
        return found

    def read(self, name: str, version: str) -> StoredDefinition | None:
        from azure.core.exceptions import ResourceNotFoundError

        blob_name = f"{name}/{version}.json"
        try:
            data = self.container.download_blob(blob_name).readall()
        except ResourceNotFoundError:
            return None
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else str(data)
        return StoredDefinition(name, version, text, f"{self.label}/{blob_name}")


# Azurite's well-known development account (public, documented by Microsoft; not a secret).
_AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)
