"""The Azure document library: a SharePoint drive through msgraph-sdk (Microsoft Graph v1.0).

Files are addressed by path (``/drives/{drive}/root:/{path}``) with URLs built here, because
the SDK's item-id builder percent-encodes the ':' and '/' of path addressing, which Graph
rejects on upload (msgraph-sdk-python issues #736, #894); everything after the lookup uses
the item id and the SDK's own request builders. The SDK is async: each operation runs on its
own short-lived client and event loop so the port stays synchronous for activities.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from azure.core.credentials import TokenCredential

from adapters.errors import AdapterConfigurationError, NotFoundError, RemoteServiceError
from adapters.library import DOCX_CONTENT_TYPE, LibraryVersion, checked_library_path

if TYPE_CHECKING:
    from msgraph.graph_service_client import GraphServiceClient

__all__ = ["GRAPH_API_URL", "GRAPH_SCOPE", "GraphDocumentLibrary"]

GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_T = TypeVar("_T")


class GraphDocumentLibrary:
    """``DocumentLibrary`` on a SharePoint document library (drive) via Microsoft Graph.

    ``drive_id`` names the library; without it the site's default library is used
    (``GET /sites/{site_id}/drive``). ``base_url`` points the SDK elsewhere (a test server).
    """

    def __init__(
        self,
        *,
        credential: TokenCredential,
        drive_id: str | None = None,
        site_id: str | None = None,
        base_url: str = GRAPH_API_URL,
    ) -> None:
        if not drive_id and not site_id:
            raise AdapterConfigurationError(
                "DOCUMENT_LIBRARY 'graph' needs GRAPH_DRIVE_ID or GRAPH_SITE_ID"
            )
        self._credential = credential
        self._drive_id = drive_id
        self._site_id = site_id
        self._base_url = base_url.rstrip("/")

    def upload(
        self, path: str, content: bytes, *, content_type: str = DOCX_CONTENT_TYPE
    ) -> LibraryVersion:
        """PUT the bytes as a new version, unless the current version already has them."""

        async def operation(client: GraphServiceClient) -> LibraryVersion:
            drive = await self._drive(client)
            item = await self._item(client, drive, path)
            if item is not None:
                current = await _call(
                    client.drives.by_drive_id(drive).items.by_drive_item_id(item.id).content.get()
                )
                if current is not None and _same(current, content):
                    return (await self._versions(client, drive, path, item))[-1]
            builder = (
                client.drives.by_drive_id(drive)
                .items.by_drive_item_id("path")
                .content.with_url(f"{self._path_url(drive, path)}:/content")
            )
            uploaded = await _call(
                builder.put(content, request_configuration=_content_type(content_type))
            )
            if uploaded is None or not uploaded.id:
                raise RemoteServiceError("Microsoft Graph", 200, "upload returned no item")
            return (await self._versions(client, drive, path, uploaded))[-1]

        return self._run(operation)

    def versions(self, path: str) -> list[LibraryVersion]:
        """Every version kept, oldest first; empty when the file does not exist."""

        async def operation(client: GraphServiceClient) -> list[LibraryVersion]:
            drive = await self._drive(client)
            item = await self._item(client, drive, path)
            return [] if item is None else await self._versions(client, drive, path, item)

        return self._run(operation)

    def download(self, path: str, version_id: str | None = None) -> bytes:
        async def operation(client: GraphServiceClient) -> bytes:
            drive = await self._drive(client)
            item = await self._item(client, drive, path)
            if item is None:
                raise NotFoundError(f"library file {path} does not exist")
            builder = client.drives.by_drive_id(drive).items.by_drive_item_id(item.id)
            data = await _call(
                builder.content.get()
                if version_id is None
                else builder.versions.by_drive_item_version_id(version_id).content.get()
            )
            return data or b""

        return self._run(operation)

    def remove_version(self, path: str, version_id: str) -> bool:
        """Remove one version; the previous one is restored first when it was the current.

        Graph refuses to delete the current version, so a current version with history is
        first superseded by restoring its predecessor; a lone version means deleting the file.
        """

        async def operation(client: GraphServiceClient) -> bool:
            drive = await self._drive(client)
            item = await self._item(client, drive, path)
            if item is None:
                return False
            ids = [v.version_id for v in await self._versions(client, drive, path, item)]
            if version_id not in ids:
                return False
            builder = client.drives.by_drive_id(drive).items.by_drive_item_id(item.id)
            if ids == [version_id]:
                await _call(builder.delete())
                return True
            if ids[-1] == version_id:
                await _call(
                    builder.versions.by_drive_item_version_id(ids[-2]).restore_version.post()
                )
            await _call(builder.versions.by_drive_item_version_id(version_id).delete())
            return True

        return self._run(operation)

    def url(self, path: str) -> str:
        """The file's SharePoint web URL."""

        async def operation(client: GraphServiceClient) -> str:
            drive = await self._drive(client)
            item = await self._item(client, drive, path)
            if item is None or not item.web_url:
                raise NotFoundError(f"library file {path} does not exist")
            return str(item.web_url)

        return self._run(operation)

    async def _drive(self, client: GraphServiceClient) -> str:
        if self._drive_id:
            return self._drive_id
        drive = await _call(client.sites.by_site_id(str(self._site_id)).drive.get())
        if drive is None or not drive.id:
            raise NotFoundError(f"SharePoint site {self._site_id} has no default library")
        self._drive_id = drive.id
        return drive.id

    async def _item(self, client: GraphServiceClient, drive: str, path: str) -> Any:
        builder = (
            client.drives.by_drive_id(drive)
            .items.by_drive_item_id("path")
            .with_url(self._path_url(drive, path))
        )
        try:
            return await _call(builder.get())
        except NotFoundError:
            return None

    async def _versions(
        self, client: GraphServiceClient, drive: str, path: str, item: Any
    ) -> list[LibraryVersion]:
        page = await _call(
            client.drives.by_drive_id(drive).items.by_drive_item_id(item.id).versions.get()
        )
        # Graph lists the newest first; the port promises oldest first.
        listed = list(reversed((page.value if page else None) or []))
        return [
            LibraryVersion(
                path=path, version_id=str(v.id), url=str(item.web_url or ""), size=int(v.size or 0)
            )
            for v in listed
        ]

    def _path_url(self, drive: str, path: str) -> str:
        return (
            f"{self._base_url}/drives/{quote(drive, safe='')}/root:/"
            f"{quote(checked_library_path(path), safe='/')}"
        )

    def _run(self, operation: Callable[[GraphServiceClient], Awaitable[_T]]) -> _T:
        async def main() -> _T:
            from msgraph.graph_request_adapter import GraphRequestAdapter, options
            from msgraph.graph_service_client import (  # heavy, Azure only: imported on use
                GraphServiceClient,
            )
            from msgraph_core import GraphClientFactory
            from msgraph_core.authentication import AzureIdentityAuthenticationProvider

            # The token goes only to the configured host (a test server's, or Graph's).
            auth = AzureIdentityAuthenticationProvider(
                self._credential,
                scopes=[GRAPH_SCOPE],
                allowed_hosts=[urlsplit(self._base_url).hostname or ""],
            )
            http = GraphClientFactory.create_with_default_middleware(options=options)
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = self._base_url
            try:
                return await operation(GraphServiceClient(request_adapter=adapter))
            finally:
                await http.aclose()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(main())
        # Called from async code: run on a private loop in a thread rather than nesting loops.
        result: list[_T] = []
        failure: list[BaseException] = []

        def worker() -> None:
            try:
                result.append(asyncio.run(main()))
            except BaseException as error:
                failure.append(error)

        thread = threading.Thread(target=worker, name="graph-call")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        return result[0]


async def _call(awaitable: Awaitable[_T]) -> _T:
    """Await a Graph call, mapping its errors onto the adapter errors."""
    from kiota_abstractions.api_error import APIError

    try:
        return await awaitable
    except APIError as error:
        status = int(error.response_status_code or 0)
        if status == 404:
            raise NotFoundError(f"Microsoft Graph: not found ({error.message})") from error
        raise RemoteServiceError("Microsoft Graph", status, str(error)) from error


def _content_type(content_type: str) -> Any:
    from kiota_abstractions.base_request_configuration import (
        RequestConfiguration,
    )

    configuration: Any = RequestConfiguration()
    configuration.headers.add("Content-Type", content_type)
    return configuration


def _same(current: bytes, content: bytes) -> bool:
    return hashlib.sha256(current).digest() == hashlib.sha256(content).digest()
