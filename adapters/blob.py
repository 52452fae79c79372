"""Blob storage: the ``BlobStore`` port and its one implementation on azure-storage-blob.

Locally the same client talks to Azurite (``UseDevelopmentStorage=true`` or a full connection
string); in Azure it uses the account URL and the managed identity. Containers are created on
demand when the store is told to (locally); in Azure infra creates them and the identity only
needs data-plane rights.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContentSettings, ExponentialRetry

from adapters.errors import AdapterConfigurationError, NotFoundError

__all__ = ["AzureBlobStore", "BlobStore", "StoredBlob"]

_CONTAINER_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class StoredBlob:
    """A blob read back: its bytes and the properties it was stored with."""

    container: str
    name: str
    content: bytes
    content_type: str
    metadata: Mapping[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    """What services need from blob storage. Writes overwrite, so retried activities are safe."""

    def put(
        self,
        container: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None: ...

    def create(
        self,
        container: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> bool: ...

    def get(self, container: str, name: str) -> StoredBlob: ...

    def delete(self, container: str, name: str) -> bool: ...

    def exists(self, container: str, name: str) -> bool: ...

    def list_names(self, container: str, prefix: str = "") -> list[str]: ...

    def url(self, container: str, name: str) -> str: ...


class AzureBlobStore:
    """``BlobStore`` on an azure-storage-blob ``BlobServiceClient`` (Azure or Azurite)."""

    def __init__(self, service: BlobServiceClient, *, create_containers: bool) -> None:
        self._service = service
        self._create_containers = create_containers
        self._known_containers: set[str] = set()

    @classmethod
    def from_connection_string(
        cls, connection_string: str, *, create_containers: bool = True, fail_fast: bool = False
    ) -> AzureBlobStore:
        """Azurite or a key-based account (``UseDevelopmentStorage=true``: Azurite's default)."""
        if not connection_string or "=" not in connection_string:
            raise AdapterConfigurationError(
                "blob connection string must look like 'UseDevelopmentStorage=true' or "
                "'DefaultEndpointsProtocol=...;AccountName=...;...'"
            )
        service = BlobServiceClient.from_connection_string(
            connection_string, **_client_options(fail_fast)
        )
        return cls(service, create_containers=create_containers)

    @classmethod
    def from_account_url(
        cls,
        account_url: str,
        credential: TokenCredential,
        *,
        create_containers: bool = False,
        fail_fast: bool = False,
    ) -> AzureBlobStore:
        """An identity-based connection: ``https://<account>.blob.core.windows.net``."""
        if not account_url.startswith(("https://", "http://")):
            raise AdapterConfigurationError(
                f"blob service URI must be an http(s) URL, got {account_url!r}"
            )
        service = BlobServiceClient(
            account_url, credential=credential, **_client_options(fail_fast)
        )
        return cls(service, create_containers=create_containers)

    def put(
        self,
        container: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Write (or overwrite) a blob with its content type and metadata."""
        checked = _checked_metadata(metadata or {})
        self._ensure_container(container)
        self._service.get_blob_client(container, _checked_name(name)).upload_blob(
            content,
            overwrite=True,
            metadata=checked,
            content_settings=ContentSettings(content_type=content_type),
        )

    def create(
        self,
        container: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> bool:
        """Write a blob only if there is none of that name; False when there already is one
        (the storage service decides, so two writers racing cannot both win)."""
        self._ensure_container(container)
        client = self._service.get_blob_client(container, _checked_name(name))
        try:
            client.upload_blob(
                content,
                overwrite=False,
                content_settings=ContentSettings(content_type=content_type),
            )
        except ResourceExistsError:
            return False
        return True

    def get(self, container: str, name: str) -> StoredBlob:
        """Read a blob; ``NotFoundError`` when the container or the blob is missing."""
        client = self._service.get_blob_client(_checked_container(container), _checked_name(name))
        try:
            downloader = client.download_blob()
        except ResourceNotFoundError as error:
            raise NotFoundError(f"blob {container}/{name} does not exist") from error
        properties = downloader.properties
        return StoredBlob(
            container=container,
            name=name,
            content=downloader.readall(),
            content_type=properties.content_settings.content_type or "application/octet-stream",
            metadata=dict(properties.metadata or {}),
        )

    def delete(self, container: str, name: str) -> bool:
        """Delete a blob; False when it was already gone, so compensations can be retried."""
        client = self._service.get_blob_client(_checked_container(container), _checked_name(name))
        try:
            client.delete_blob(delete_snapshots="include")
        except ResourceNotFoundError:
            return False
        return True

    def exists(self, container: str, name: str) -> bool:
        client = self._service.get_blob_client(_checked_container(container), _checked_name(name))
        return bool(client.exists())

    def list_names(self, container: str, prefix: str = "") -> list[str]:
        """Names of the blobs under ``prefix``, sorted; empty when the container is missing."""
        client = self._service.get_container_client(_checked_container(container))
        try:
            return sorted(b.name for b in client.list_blobs(name_starts_with=prefix or None))
        except ResourceNotFoundError:
            return []

    def url(self, container: str, name: str) -> str:
        """The blob's URL (no SAS: readers need their own access)."""
        return str(self._service.get_blob_client(container, name).url)

    def _ensure_container(self, container: str) -> None:
        _checked_container(container)
        if not self._create_containers or container in self._known_containers:
            return
        with contextlib.suppress(ResourceExistsError):
            self._service.create_container(container)
        self._known_containers.add(container)


def _checked_container(container: str) -> str:
    if not _CONTAINER_NAME.match(container):
        raise AdapterConfigurationError(
            f"container name {container!r} is invalid: expected 3-63 lowercase letters, digits "
            "and single hyphens"
        )
    return container


def _checked_name(name: str) -> str:
    if not name or len(name) > 1024 or name.startswith("/") or name.endswith("/"):
        raise AdapterConfigurationError(
            f"blob name {name!r} is invalid: expected 1-1024 characters, not starting or "
            "ending with '/'"
        )
    return name


def _checked_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    for key, value in metadata.items():
        if not _METADATA_KEY.match(key):
            raise AdapterConfigurationError(
                f"blob metadata key {key!r} is invalid: expected a C# identifier "
                "(letters, digits, underscore)"
            )
        if not isinstance(value, str) or not value.isascii():
            raise AdapterConfigurationError(
                f"blob metadata value of {key!r} must be an ASCII string"
            )
    return dict(metadata)


def _client_options(fail_fast: bool) -> dict[str, Any]:
    """The storage SDK's defaults, or (``fail_fast``) two quick retries and a 3 s connect.

    The defaults retry for about 85 s against a store that is not there; a reader on the
    path of every workflow start (the definition loader) must give up within seconds.
    """
    if not fail_fast:
        return {}
    return {
        "retry_policy": ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=2),
        "connection_timeout": 3,
    }
