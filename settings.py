"""The one place that reads configuration.

Every setting the app's code reads is declared in ``SETTINGS`` with its local default, whether
it is only meaningful locally, and what it is for. ``load()`` reads them from the environment
(the Functions host, devhost and ``func start`` all turn app settings into environment
variables). The infra tests check this list against the Function App's settings in Bicep.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["SETTINGS", "Setting", "Settings", "load"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    description: str
    local_only: bool = False  # True: not set in Azure (a local stand-in or a dev-only switch)


SETTINGS: tuple[Setting, ...] = (
    Setting("AzureWebJobsStorage", "UseDevelopmentStorage=true",
            "Host storage; also documents and definitions unless DOCUMENTS_STORAGE is set."),
    Setting("DOCUMENTS_STORAGE", None,
            "Blob storage for drafts, final documents and workflow definitions. In Azure an "
            "identity-based connection (DOCUMENTS_STORAGE__blobServiceUri, __credential, "
            "__clientId)."),
    Setting("DOCUMENTS_STORAGE__blobServiceUri", None,
            "Identity-based documents storage in Azure: https://<account>.blob.core.windows.net "
            "(used when DOCUMENTS_STORAGE is unset; the identity is AZURE_CLIENT_ID)."),
    Setting("DATABASE_URL", "sqlite:///.devhost/app.sqlite",
            "SQLAlchemy URL of the app database (master index, audit, approvals, records)."),
    Setting("MAIL_TRANSPORT", "outbox", "'outbox' (.eml files) or 'sendgrid'."),
    Setting("MAIL_OUTBOX_DIR", ".devhost/outbox", "Folder of the local mail outbox.",
            local_only=True),
    Setting("MAIL_FROM", "workflows@example.com", "Sender address of workflow mail."),
    Setting("SENDGRID_API_KEY", None, "SendGrid key (a Key Vault reference in Azure)."),
    Setting("DOCUMENT_LIBRARY", "folder", "'folder' (versioned folder tree) or 'graph'."),
    Setting("DOCUMENT_LIBRARY_DIR", ".devhost/library", "Root of the local document library.",
            local_only=True),
    Setting("GRAPH_SITE_ID", None, "SharePoint site id for the Graph document library."),
    Setting("GRAPH_DRIVE_ID", None, "Drive (document library) id within the site."),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:7071", "Base URL of links in mail."),
    Setting("APPROVAL_SIGNING_KEYS", None,
            "Comma-separated signing keys for approval links, newest first (rotation)."),
    Setting("TRUST_EASY_AUTH", "false",
            "true behind App Service authentication: the signed-in principal must match."),
    Setting("SOURCE_DATABASES", None,
            "JSON object: database name -> SQLAlchemy URL of the databases to document."),
    Setting("APPROVAL_POLICY_FILE", "examples/approval-policy.json",
            "JSON file that seeds tier rules, roles, members and escalation contacts."),
    Setting("WORKFLOWS_PATH", "workflows", "Folder of workflow definitions."),
    Setting("WORKFLOW_DEFINITIONS_CONTAINER", "workflow-definitions",
            "Blob container of workflow definitions (<name>/<version>.json)."),
    Setting("AZURE_CLIENT_ID", None,
            "Client id of the user-assigned managed identity (azure-identity reads it)."),
    Setting("DEVICE_EVENTS_LIMIT", "1000",
            "Most events the device entity holds; beyond it the oldest are dropped (counted)."),
    Setting("DEVICE_BATCH_SIZE", "50",
            "Events that close a device's batch window before its time is up."),
    Setting("DEVICE_BATCH_WINDOW", "PT5M",
            "How long a device's batch window stays open (ISO 8601), fixed when it opens."),
)


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings; pass it (or the adapters built from it) to services."""

    values: Mapping[str, str | None]

    def get(self, name: str) -> str | None:
        if name not in self.values:
            raise KeyError(f"unknown setting {name!r}: declare it in settings.SETTINGS")
        return self.values[name]

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise RuntimeError(f"setting {name} is required but not set")
        return value

    def flag(self, name: str) -> bool:
        return (self.get(name) or "").strip().lower() in {"1", "true", "yes"}


def load(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings({s.name: env.get(s.name, s.default) for s in SETTINGS})
