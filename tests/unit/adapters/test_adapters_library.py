"""Document library adapters: the versioned folder on a temporary folder, and Microsoft Graph
against a recording server that plays a SharePoint drive holding one file."""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import (
    AdapterConfigurationError,
    FolderDocumentLibrary,
    GraphDocumentLibrary,
    NotFoundError,
    RemoteServiceError,
    StaticTokenCredential,
)
from adapters.library import DOCX_CONTENT_TYPE
from tests.support.recording_server import RecordedRequest, RecordingServer, Reply

PATH = "Documentation/warehouse/sales.customers.docx"


def test_folder_upload_keeps_every_version_and_the_current_file(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    first = library.upload(PATH, b"version one")
    second = library.upload(PATH, b"version two")

    assert (first.version_id, second.version_id) == ("1.0", "2.0")
    assert (tmp_path / PATH).read_bytes() == b"version two"
    assert [v.version_id for v in library.versions(PATH)] == ["1.0", "2.0"]
    assert library.download(PATH) == b"version two"
    assert library.download(PATH, "1.0") == b"version one"
    assert second.url == (tmp_path / PATH).resolve().as_uri() == library.url(PATH)
    assert second.size == len(b"version two")


def test_folder_upload_of_identical_bytes_is_not_a_new_version(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    library.upload(PATH, b"same")
    again = library.upload(PATH, b"same")
    assert again.version_id == "1.0"
    assert len(library.versions(PATH)) == 1


def test_folder_remove_current_version_restores_the_previous(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    library.upload(PATH, b"one")
    library.upload(PATH, b"two")

    assert library.remove_version(PATH, "2.0") is True
    assert (tmp_path / PATH).read_bytes() == b"one"
    assert [v.version_id for v in library.versions(PATH)] == ["1.0"]
    assert library.remove_version(PATH, "2.0") is False  # a retried compensation
    # The removed version's number is never given out again (an index row may still name it).
    assert library.upload(PATH, b"three").version_id == "3.0"
    assert [v.version_id for v in library.versions(PATH)] == ["1.0", "3.0"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(min_size=1, max_size=3).map(lambda b: ("upload", b)),
            st.integers(0, 5).map(lambda i: ("remove", i)),
        ),
        max_size=25,
    )
)
def test_folder_version_ids_are_never_reused(operations: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        library = FolderDocumentLibrary(folder)
        issued: list[str] = []
        contents: dict[str, bytes] = {}
        for kind, value in operations:
            if kind == "upload":
                version = library.upload(PATH, value)
                if version.version_id not in issued:
                    issued.append(version.version_id)
                contents[version.version_id] = value
            else:
                live = [v.version_id for v in library.versions(PATH)]
                if live:
                    library.remove_version(PATH, live[value % len(live)])
                    contents.pop(live[value % len(live)])
            live = [v.version_id for v in library.versions(PATH)]
            assert live == [v for v in issued if v in contents]  # oldest first, none reused
            for version_id, content in contents.items():
                assert library.download(PATH, version_id) == content
            current = Path(folder) / PATH
            assert (current.read_bytes() == contents[live[-1]]) if live else not current.exists()


def test_folder_remove_an_older_version_keeps_the_current_file(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    library.upload(PATH, b"one")
    library.upload(PATH, b"two")
    assert library.remove_version(PATH, "1.0") is True
    assert (tmp_path / PATH).read_bytes() == b"two"
    with pytest.raises(NotFoundError, match=r"no version '1\.0'"):
        library.download(PATH, "1.0")


def test_folder_remove_the_only_version_removes_the_file(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    library.upload(PATH, b"one")
    assert library.remove_version(PATH, "1.0") is True
    assert not (tmp_path / PATH).exists()
    assert library.versions(PATH) == []
    with pytest.raises(NotFoundError, match="does not exist"):
        library.download(PATH)


def test_folder_concurrent_uploads_each_get_their_own_version(tmp_path: Path) -> None:
    library = FolderDocumentLibrary(tmp_path)
    threads = [
        threading.Thread(target=library.upload, args=(PATH, f"v{i}".encode())) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = library.versions(PATH)
    assert [v.version_id for v in versions] == [f"{i}.0" for i in range(1, 9)]
    assert {library.download(PATH, v.version_id) for v in versions} == {
        f"v{i}".encode() for i in range(8)
    }


@pytest.mark.parametrize("bad", ["", "/abs/file.docx", "a/../b.docx", "a//b.docx", "a\\b.docx"])
def test_folder_refuses_paths_outside_the_library(tmp_path: Path, bad: str) -> None:
    with pytest.raises(AdapterConfigurationError, match="library path"):
        FolderDocumentLibrary(tmp_path).upload(bad, b"x")


class FakeDrive:
    """The drive state behind the recording server: one file with its versions."""

    def __init__(self, server: RecordingServer, drive: str = "DRIVE1") -> None:
        self.versions: list[tuple[str, bytes]] = []  # oldest first
        base = f"/v1.0/drives/{drive}"
        item = f"{base}/items/ITEM1"
        server.reply("GET", f"{base}/root:/(.+)", self.get_item)
        server.reply("PUT", f"{base}/root:/(.+):/content", self.put_content)
        server.reply("GET", f"{item}/content", lambda r, m: Reply(200, self.versions[-1][1]))
        server.reply("GET", f"{item}/versions", self.list_versions)
        server.reply("GET", rf"{item}/versions/([^/]+)/content", self.version_content)
        server.reply("POST", rf"{item}/versions/([^/]+)/restoreVersion", self.restore)
        server.reply("DELETE", rf"{item}/versions/([^/]+)", self.delete_version)
        server.reply("DELETE", item, self.delete_item)

    def item(self) -> Reply:
        return Reply.json(
            {
                "id": "ITEM1",
                "name": "sales.customers.docx",
                "webUrl": "https://contoso.sharepoint.com/Docs/sales.customers.docx",
            }
        )

    def get_item(self, _r: RecordedRequest, _m: re.Match[str]) -> Reply:
        if not self.versions:
            return Reply.json({"error": {"code": "itemNotFound", "message": "not found"}}, 404)
        return self.item()

    def put_content(self, request: RecordedRequest, _m: re.Match[str]) -> Reply:
        number = max((float(v) for v, _ in self.versions), default=0.0) + 1
        self.versions.append((f"{number:.1f}", request.body))
        return self.item()

    def list_versions(self, _r: RecordedRequest, _m: re.Match[str]) -> Reply:
        return Reply.json(
            {"value": [{"id": v, "size": len(b)} for v, b in reversed(self.versions)]}
        )

    def version_content(self, _r: RecordedRequest, match: re.Match[str]) -> Reply:
        return Reply(200, dict(self.versions)[match.group(1)])

    def restore(self, _r: RecordedRequest, match: re.Match[str]) -> Reply:
        self.put_content(
            RecordedRequest("PUT", "", "", {}, {}, dict(self.versions)[match.group(1)]), match
        )
        return Reply(204)

    def delete_version(self, _r: RecordedRequest, match: re.Match[str]) -> Reply:
        self.versions = [(v, b) for v, b in self.versions if v != match.group(1)]
        return Reply(204)

    def delete_item(self, _r: RecordedRequest, _m: re.Match[str]) -> Reply:
        self.versions = []
        return Reply(204)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


def graph_library(server: RecordingServer, **ids: str) -> GraphDocumentLibrary:
    return GraphDocumentLibrary(
        credential=StaticTokenCredential("graph-token"),
        base_url=f"{server.url}/v1.0",
        **(ids or {"drive_id": "DRIVE1"}),
    )


def calls(server: RecordingServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


def test_graph_upload_of_a_new_file_puts_it_by_path(server: RecordingServer) -> None:
    drive = FakeDrive(server)
    version = graph_library(server).upload(PATH, b"docx bytes")

    assert calls(server) == [
        ("GET", f"/v1.0/drives/DRIVE1/root:/{PATH}"),
        ("PUT", f"/v1.0/drives/DRIVE1/root:/{PATH}:/content"),
        ("GET", "/v1.0/drives/DRIVE1/items/ITEM1/versions"),
    ]
    put = server.requests[1]
    assert put.raw_path == f"/v1.0/drives/DRIVE1/root:/{PATH}:/content"  # ':' and '/' as is
    assert put.body == b"docx bytes"
    assert put.header("Content-Type") == DOCX_CONTENT_TYPE
    assert all(r.header("Authorization") == "Bearer graph-token" for r in server.requests)
    assert version.version_id == "1.0"
    assert version.url == "https://contoso.sharepoint.com/Docs/sales.customers.docx"
    assert drive.versions == [("1.0", b"docx bytes")]


def test_graph_upload_of_identical_bytes_puts_nothing(server: RecordingServer) -> None:
    drive = FakeDrive(server)
    library = graph_library(server)
    library.upload(PATH, b"same")
    server.requests.clear()

    version = library.upload(PATH, b"same")

    assert ("PUT", f"/v1.0/drives/DRIVE1/root:/{PATH}:/content") not in calls(server)
    assert ("GET", "/v1.0/drives/DRIVE1/items/ITEM1/content") in calls(server)
    assert version.version_id == "1.0"
    assert len(drive.versions) == 1


def test_graph_versions_are_listed_oldest_first(server: RecordingServer) -> None:
    FakeDrive(server)
    library = graph_library(server)
    library.upload(PATH, b"one")
    library.upload(PATH, b"two")
    assert [v.version_id for v in library.versions(PATH)] == ["1.0", "2.0"]
    assert library.download(PATH, "1.0") == b"one"
    assert library.download(PATH) == b"two"


def test_graph_remove_current_version_restores_the_previous_then_deletes(
    server: RecordingServer,
) -> None:
    drive = FakeDrive(server)
    library = graph_library(server)
    library.upload(PATH, b"one")
    library.upload(PATH, b"two")
    server.requests.clear()

    assert library.remove_version(PATH, "2.0") is True

    item = "/v1.0/drives/DRIVE1/items/ITEM1"
    assert calls(server)[-2:] == [
        ("POST", f"{item}/versions/1.0/restoreVersion"),
        ("DELETE", f"{item}/versions/2.0"),
    ]
    assert drive.versions[-1][1] == b"one"
    assert library.remove_version(PATH, "2.0") is False


def test_graph_remove_the_only_version_deletes_the_file(server: RecordingServer) -> None:
    drive = FakeDrive(server)
    library = graph_library(server)
    library.upload(PATH, b"one")
    assert library.remove_version(PATH, "1.0") is True
    assert server.requests[-1].method == "DELETE"
    assert server.requests[-1].path == "/v1.0/drives/DRIVE1/items/ITEM1"
    assert drive.versions == []
    assert library.remove_version(PATH, "1.0") is False
    assert library.versions(PATH) == []


def test_graph_without_drive_id_uses_the_sites_default_library(server: RecordingServer) -> None:
    FakeDrive(server)
    server.reply(
        "GET", "/v1.0/sites/contoso.sharepoint.com,site-guid/drive", Reply.json({"id": "DRIVE1"})
    )
    library = graph_library(server, site_id="contoso.sharepoint.com,site-guid")
    assert library.upload(PATH, b"one").version_id == "1.0"
    assert calls(server)[0] == ("GET", "/v1.0/sites/contoso.sharepoint.com,site-guid/drive")


def test_graph_errors_carry_the_status(server: RecordingServer) -> None:
    server.reply(
        "GET",
        "/v1.0/drives/DRIVE1/root:/(.+)",
        Reply.json({"error": {"code": "accessDenied", "message": "no"}}, 403),
    )
    with pytest.raises(RemoteServiceError, match="403") as caught:
        graph_library(server).upload(PATH, b"x")
    assert caught.value.status == 403


def test_graph_needs_a_drive_or_a_site() -> None:
    with pytest.raises(AdapterConfigurationError, match="GRAPH_DRIVE_ID or GRAPH_SITE_ID"):
        GraphDocumentLibrary(credential=StaticTokenCredential("t"))
