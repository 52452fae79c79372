"""build_adapters chooses the implementation each setting names, and names bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from adapters import (
    AdapterConfigurationError,
    AzureBlobStore,
    FolderDocumentLibrary,
    GraphDocumentLibrary,
    OutboxMailSender,
    SendGridMailSender,
    build_adapters,
    build_blob_store,
    build_document_library,
    build_mail_sender,
)


def local(tmp_path: Path, **overrides: str) -> settings.Settings:
    return settings.load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite",
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(tmp_path / "library"),
            "SOURCE_DATABASES": '{"warehouse": "sqlite:///examples/warehouse.sqlite"}',
            **overrides,
        }
    )


def test_local_settings_build_the_local_adapters(tmp_path: Path) -> None:
    adapters = build_adapters(local(tmp_path))
    assert isinstance(adapters.blobs, AzureBlobStore)
    assert (
        adapters.blobs.url("documents", "a.docx")
        == "http://127.0.0.1:10000/devstoreaccount1/documents/a.docx"
    )
    assert isinstance(adapters.mail, OutboxMailSender)
    assert adapters.mail.folder == tmp_path / "outbox"
    assert isinstance(adapters.library, FolderDocumentLibrary)
    assert adapters.library.root == tmp_path / "library"
    assert adapters.sources.names == ["warehouse"]
    assert adapters.database.url.database == f"{tmp_path}/app.sqlite"


def test_documents_storage_wins_over_host_storage(tmp_path: Path) -> None:
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:12345/devstoreaccount1;"
    )
    store = build_blob_store(local(tmp_path, DOCUMENTS_STORAGE=connection))
    assert store.url("documents", "x") == "http://127.0.0.1:12345/devstoreaccount1/documents/x"


def test_identity_based_documents_storage_uses_the_service_uri(tmp_path: Path) -> None:
    store = build_blob_store(
        local(
            tmp_path, **{"DOCUMENTS_STORAGE__blobServiceUri": "https://acct.blob.core.windows.net"}
        )
    )
    assert store.url("documents", "x") == "https://acct.blob.core.windows.net/documents/x"


def test_azure_settings_build_the_azure_adapters(tmp_path: Path) -> None:
    chosen = local(
        tmp_path,
        MAIL_TRANSPORT="sendgrid",
        SENDGRID_API_KEY="SG.key",
        DOCUMENT_LIBRARY="graph",
        GRAPH_DRIVE_ID="b!drive",
    )
    assert isinstance(build_mail_sender(chosen), SendGridMailSender)
    assert isinstance(build_document_library(chosen), GraphDocumentLibrary)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MAIL_TRANSPORT": "pigeon"}, "MAIL_TRANSPORT is 'pigeon'"),
        ({"MAIL_TRANSPORT": "sendgrid"}, "SENDGRID_API_KEY"),
        ({"DOCUMENT_LIBRARY": "ftp"}, "DOCUMENT_LIBRARY is 'ftp'"),
        ({"DOCUMENT_LIBRARY": "graph"}, "GRAPH_DRIVE_ID or GRAPH_SITE_ID"),
        ({"AzureWebJobsStorage": "nonsense"}, "blob connection string"),
        ({"SOURCE_DATABASES": "{"}, "SOURCE_DATABASES is not JSON"),
    ],
)
def test_bad_settings_fail_at_build_naming_the_setting(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises((AdapterConfigurationError, RuntimeError), match=message):
        build_adapters(local(tmp_path, **overrides))
