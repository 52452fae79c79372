"""The blob store against the real Azurite emulator."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from adapters import AdapterConfigurationError, AzureBlobStore, NotFoundError
from tests.support.azurite import AzuriteBlob, run_azurite


@pytest.fixture(scope="module")
def azurite() -> Iterator[AzuriteBlob]:
    with run_azurite() as running:
        yield running


@pytest.fixture
def store(azurite: AzuriteBlob) -> AzureBlobStore:
    return AzureBlobStore.from_connection_string(azurite.connection_string)


def test_put_creates_the_container_and_get_reads_everything_back(store: AzureBlobStore) -> None:
    store.put(
        "put-get",
        "doc-1/draft.docx",
        b"\x00docx bytes",
        content_type="application/vnd.test",
        metadata={"documentId": "doc-1"},
    )
    stored = store.get("put-get", "doc-1/draft.docx")
    assert stored.content == b"\x00docx bytes"
    assert stored.content_type == "application/vnd.test"
    assert stored.metadata == {"documentId": "doc-1"}


def test_put_overwrites(store: AzureBlobStore) -> None:
    store.put("overwrite", "a", b"one", metadata={"stage": "draft"})
    store.put("overwrite", "a", b"two")
    stored = store.get("overwrite", "a")
    assert stored.content == b"two"
    assert stored.metadata == {}


def test_exists_list_and_delete(store: AzureBlobStore) -> None:
    for name in ("doc-1/draft.docx", "doc-1/draft.json", "doc-2/draft.docx"):
        store.put("listing", name, b"x")
    assert store.list_names("listing") == [
        "doc-1/draft.docx",
        "doc-1/draft.json",
        "doc-2/draft.docx",
    ]
    assert store.list_names("listing", prefix="doc-1/") == ["doc-1/draft.docx", "doc-1/draft.json"]
    assert store.exists("listing", "doc-2/draft.docx") is True
    assert store.delete("listing", "doc-2/draft.docx") is True
    assert store.delete("listing", "doc-2/draft.docx") is False
    assert store.exists("listing", "doc-2/draft.docx") is False


def test_missing_blobs_and_containers(store: AzureBlobStore) -> None:
    with pytest.raises(NotFoundError, match="never-made/x does not exist"):
        store.get("never-made", "x")
    assert store.list_names("never-made") == []
    assert store.exists("never-made", "x") is False
    assert store.delete("never-made", "x") is False


def test_use_development_storage_means_azurites_default_port() -> None:
    store = AzureBlobStore.from_connection_string("UseDevelopmentStorage=true")
    assert store.url("documents", "a") == "http://127.0.0.1:10000/devstoreaccount1/documents/a"


@pytest.mark.parametrize(
    ("container", "name", "metadata", "message"),
    [
        ("Bad_Container", "a", {}, "container name"),
        ("ok-container", "", {}, "blob name"),
        ("ok-container", "/leading", {}, "blob name"),
        ("ok-container", "a", {"has-dash": "x"}, "metadata key 'has-dash'"),
        ("ok-container", "a", {"key": "caf\u00e9"}, "ASCII"),
    ],
)
def test_bad_names_and_metadata_are_refused_before_any_request(
    store: AzureBlobStore, container: str, name: str, metadata: dict[str, str], message: str
) -> None:
    with pytest.raises(AdapterConfigurationError, match=message):
        store.put(container, name, b"x", metadata=metadata)


def test_azurite_is_stopped_even_when_the_block_fails() -> None:
    ports: list[int] = []

    def failing_test() -> None:
        with run_azurite() as running:
            ports.append(running.port)
            AzureBlobStore.from_connection_string(running.connection_string).put("c-1", "a", b"x")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_test()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", ports[0]), timeout=0.5).close()
