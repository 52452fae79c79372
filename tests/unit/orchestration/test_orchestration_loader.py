"""Loading definitions: folder and blob container (real Azurite), "latest", validation, pinning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

import settings
from adapters.blob import AzureBlobStore
from orchestration.definition import content_hash, semver_key
from orchestration.sources import (
    BlobSource,
    DefinitionInvalid,
    DefinitionNotFound,
    FolderSource,
    load_definition,
    load_requested,
    sources_from_settings,
)
from tests.support.azurite import run_azurite


def definition(version: str, note: str = "") -> dict[str, Any]:
    return {
        "name": "doc",
        "version": version,
        "description": note,
        "startAt": "Done",
        "states": {"Done": {"type": "succeed"}},
    }


def write(folder: Path, document: dict[str, Any], file_name: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (file_name or f"{document['name']}-{document['version']}.json")).write_text(
        json.dumps(document)
    )


def test_semver_order_is_numeric_and_prereleases_come_first() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "1.2.0-alpha", "1.2.0-rc.2"]
    assert sorted(versions, key=semver_key) == [
        "0.9.9",
        "1.2.0-alpha",
        "1.2.0-rc.1",
        "1.2.0-rc.2",
        "1.2.0",
        "1.10.0",
    ]


def test_latest_is_the_highest_version_in_the_folder(tmp_path: Path) -> None:
    for version in ("1.2.0", "1.10.0", "1.9.3"):
        write(tmp_path, definition(version))
    write(tmp_path / "schema", definition("9.9.9"))  # the schema folder is not a definition
    loaded = load_definition("doc", None, [FolderSource(tmp_path)])
    assert loaded.version == "1.10.0"
    assert load_definition("doc", "latest", [FolderSource(tmp_path)]).version == "1.10.0"
    assert load_definition("doc", "1.2.0", [FolderSource(tmp_path)]).version == "1.2.0"


def test_the_hash_pins_the_content(tmp_path: Path) -> None:
    write(tmp_path, definition("1.0.0", "first"))
    first = load_definition("doc", "1.0.0", [FolderSource(tmp_path)])
    assert first.hash == content_hash(first.document)
    write(tmp_path, definition("1.0.0", "edited"))
    assert load_definition("doc", "1.0.0", [FolderSource(tmp_path)]).hash != first.hash


def test_missing_definitions_say_what_was_looked_for(tmp_path: Path) -> None:
    write(tmp_path, definition("1.0.0"))
    with pytest.raises(DefinitionNotFound, match="no definition named 'other'"):
        load_definition("other", None, [FolderSource(tmp_path)])
    with pytest.raises(DefinitionNotFound, match=r"'doc' version '2\.0\.0'"):
        load_definition("doc", "2.0.0", [FolderSource(tmp_path)])


def test_an_invalid_stored_definition_is_refused_with_every_error(tmp_path: Path) -> None:
    bad = definition("1.0.0")
    bad["states"]["Done"] = {
        "type": "task",
        "activity": "x",
        "resultPath": "$.input",
        "next": "Ghost",
    }
    write(tmp_path, bad)
    with pytest.raises(DefinitionInvalid) as raised:
        load_definition("doc", "1.0.0", [FolderSource(tmp_path)])
    assert "state.missing" in str(raised.value)
    assert "resultPath.outside-state" in str(raised.value)


def test_loader_activity_reads_workflows_path_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "defs", definition("3.0.0"))
    monkeypatch.setenv("WORKFLOWS_PATH", str(tmp_path / "defs"))
    monkeypatch.setenv("AzureWebJobsStorage", "")
    monkeypatch.setenv("DOCUMENTS_STORAGE", "")
    loaded = load_requested({"workflow": "doc", "version": None})
    assert (loaded["name"], loaded["version"]) == ("doc", "3.0.0")
    assert loaded["hash"].startswith("sha256:")


def test_an_unreachable_blob_store_does_not_hide_the_folder(tmp_path: Path) -> None:
    write(tmp_path, definition("1.0.0"))
    service = BlobServiceClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        retry_total=0,
    )
    unreachable = BlobSource(AzureBlobStore(service, create_containers=False), "defs")
    loaded = load_definition("doc", None, [FolderSource(tmp_path), unreachable])
    assert loaded.version == "1.0.0"


@pytest.mark.parametrize("setting", ["AzureWebJobsStorage", "DOCUMENTS_STORAGE"])
def test_the_loaders_blob_store_fails_fast_and_creates_nothing(
    tmp_path: Path, setting: str
) -> None:
    """The loader is on the path of every workflow start: it reads the definitions container
    through the app's own blob adapter, with two retries instead of the SDK's default, and it
    never creates the container (a reader must not)."""
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    overrides = {"WORKFLOWS_PATH": str(tmp_path), "DOCUMENTS_STORAGE": "", setting: connection}
    folder, blobs = sources_from_settings(settings.load(overrides))
    assert isinstance(folder, FolderSource) and isinstance(blobs, BlobSource)
    store = blobs.store
    assert isinstance(store, AzureBlobStore)
    assert store._service._config.retry_policy.total_retries == 2
    assert store._create_containers is False


def test_blob_container_definitions_on_azurite(tmp_path: Path) -> None:
    write(tmp_path, definition("1.0.0", "folder"))
    write(tmp_path, definition("1.1.0", "folder"))
    with run_azurite() as azurite:
        container = ContainerClient.from_connection_string(
            azurite.connection_string, "workflow-definitions"
        )
        container.create_container()
        container.upload_blob("doc/1.1.0.json", json.dumps(definition("1.1.0", "blob")))
        container.upload_blob("doc/2.0.0.json", json.dumps(definition("2.0.0", "blob")))
        container.upload_blob("doc/drafts/9.0.0.json", json.dumps(definition("9.0.0", "nested")))
        store = AzureBlobStore.from_connection_string(azurite.connection_string)
        blob = BlobSource(store, "workflow-definitions")
        sources = [FolderSource(tmp_path), blob]
        latest = load_definition("doc", None, sources)
        assert (latest.version, latest.document["description"]) == ("2.0.0", "blob")
        assert latest.source.endswith("workflow-definitions/doc/2.0.0.json")
        # the folder wins when both hold the same version
        assert load_definition("doc", "1.1.0", sources).document["description"] == "folder"
        assert load_definition("doc", "2.0.0", [blob]).version == "2.0.0"
        with pytest.raises(DefinitionNotFound):
            load_definition("doc", "3.0.0", sources)
        assert BlobSource(store, "no-such-container").versions("doc") == []
        # the loader activity finds the container through the settings and the blob adapter
        settings = {
            "WORKFLOWS_PATH": str(tmp_path),
            "DOCUMENTS_STORAGE": azurite.connection_string,
            "WORKFLOW_DEFINITIONS_CONTAINER": "workflow-definitions",
        }
        assert load_definition("doc", None, sources_from_settings(settings)).version == "2.0.0"
