"""Clients for the outside world, each a port with a local and an Azure implementation.

``build_adapters(settings)`` is the one factory: it reads the settings and returns the
``Adapters`` the activities pass to the services. Local: Azurite, SQLite, an ``.eml`` outbox
and a versioned folder. Azure: the storage account and Azure SQL with the managed identity,
SendGrid, and SharePoint through Microsoft Graph. Heavy clients load only when chosen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from sqlalchemy import Engine

from adapters.blob import AzureBlobStore, BlobStore, StoredBlob
from adapters.errors import (
    AdapterConfigurationError,
    AdapterError,
    NotFoundError,
    RemoteServiceError,
    UnknownDatabase,
)
from adapters.identity import StaticTokenCredential, azure_credential
from adapters.library import DOCX_CONTENT_TYPE, DocumentLibrary, LibraryVersion
from adapters.library_folder import FolderDocumentLibrary
from adapters.library_graph import GraphDocumentLibrary
from adapters.mail import MailMessage, MailSender, SentMail, message_id_for
from adapters.mail_outbox import OutboxMailSender, read_outbox
from adapters.mail_sendgrid import SendGridMailSender
from adapters.sources import SourceDatabases
from adapters.sql import create_sql_engine
from settings import Settings

__all__ = [
    "DOCX_CONTENT_TYPE",
    "AdapterConfigurationError",
    "AdapterError",
    "Adapters",
    "AzureBlobStore",
    "BlobStore",
    "DocumentLibrary",
    "FolderDocumentLibrary",
    "GraphDocumentLibrary",
    "LibraryVersion",
    "MailMessage",
    "MailSender",
    "NotFoundError",
    "OutboxMailSender",
    "RemoteServiceError",
    "SendGridMailSender",
    "SentMail",
    "SourceDatabases",
    "StaticTokenCredential",
    "StoredBlob",
    "UnknownDatabase",
    "azure_credential",
    "build_adapters",
    "build_blob_store",
    "build_document_library",
    "build_mail_sender",
    "create_sql_engine",
    "message_id_for",
    "read_outbox",
]


@dataclass(frozen=True)
class Adapters:
    """Everything the services talk to, built once per process from the settings."""

    blobs: BlobStore
    mail: MailSender
    library: DocumentLibrary
    sources: SourceDatabases
    database: Engine  # the app database (DATABASE_URL): master index, audit, approvals


def build_adapters(settings: Settings) -> Adapters:
    """Choose and build every adapter from ``settings``; bad settings fail here, named."""
    credential = _lazy_credential(settings)
    return Adapters(
        blobs=build_blob_store(settings, credential),
        mail=build_mail_sender(settings),
        library=build_document_library(settings, credential),
        sources=SourceDatabases.from_setting(
            settings.get("SOURCE_DATABASES"), credential=_SqlCredential(credential)
        ),
        database=create_sql_engine(
            settings.require("DATABASE_URL"), credential=_SqlCredential(credential)
        ),
    )


def build_blob_store(
    settings: Settings,
    credential: Callable[[], TokenCredential] | None = None,
    *,
    fail_fast: bool = False,
) -> BlobStore:
    """DOCUMENTS_STORAGE (a connection string), else its identity-based form
    DOCUMENTS_STORAGE__blobServiceUri, else AzureWebJobsStorage (Azurite locally).

    ``fail_fast`` is for readers on a hot path (the definition loader): quick retries, and no
    container is created."""
    connection = settings.get("DOCUMENTS_STORAGE")
    if connection:
        return AzureBlobStore.from_connection_string(
            connection, create_containers=not fail_fast, fail_fast=fail_fast
        )
    service_uri = settings.get("DOCUMENTS_STORAGE__blobServiceUri")
    if service_uri:
        identity = (credential or _lazy_credential(settings))()
        return AzureBlobStore.from_account_url(service_uri, identity, fail_fast=fail_fast)
    return AzureBlobStore.from_connection_string(
        settings.require("AzureWebJobsStorage"),
        create_containers=not fail_fast,
        fail_fast=fail_fast,
    )


def build_mail_sender(settings: Settings) -> MailSender:
    transport = (settings.get("MAIL_TRANSPORT") or "").strip().lower()
    sender = settings.require("MAIL_FROM")
    if transport == "outbox":
        return OutboxMailSender(settings.require("MAIL_OUTBOX_DIR"), sender)
    if transport == "sendgrid":
        return SendGridMailSender(settings.require("SENDGRID_API_KEY"), sender)
    raise AdapterConfigurationError(
        f"MAIL_TRANSPORT is {transport!r}; expected 'outbox' or 'sendgrid'"
    )


def build_document_library(
    settings: Settings,
    credential: Callable[[], TokenCredential] | None = None,
) -> DocumentLibrary:
    kind = (settings.get("DOCUMENT_LIBRARY") or "").strip().lower()
    if kind == "folder":
        return FolderDocumentLibrary(settings.require("DOCUMENT_LIBRARY_DIR"))
    if kind == "graph":
        return GraphDocumentLibrary(
            credential=(credential or _lazy_credential(settings))(),
            drive_id=settings.get("GRAPH_DRIVE_ID"),
            site_id=settings.get("GRAPH_SITE_ID"),
        )
    raise AdapterConfigurationError(f"DOCUMENT_LIBRARY is {kind!r}; expected 'folder' or 'graph'")


def _lazy_credential(settings: Settings) -> Callable[[], TokenCredential]:
    """The managed identity, built on first need so local runs never touch azure-identity."""
    return functools.cache(lambda: azure_credential(settings.get("AZURE_CLIENT_ID")))


class _SqlCredential:
    """Defers building the identity until an Azure SQL connection asks for a token."""

    def __init__(self, factory: Callable[[], TokenCredential]) -> None:
        self._factory = factory

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return self._factory().get_token(
            *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
        )
