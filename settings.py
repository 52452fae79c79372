"""The one place that reads configuration.

Every setting the app's code reads is declared in ``SETTINGS`` with its local default, whether
it is only meaningful locally, and what it is for. ``load()`` reads them from the environment
(the Functions host, devhost and ``func start`` all turn app settings into environment
variables). The infra tests check this list against the Function App's settings in Bicep.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["SETTINGS", "Setting", "Settings", "load"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    description: str
    local_only: bool = False  # True: not set in Azure (a local stand-in or a dev-only switch)
    platform: bool = False  # True: set by the Functions host itself (Azure, Core Tools, devhost)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "AzureWebJobsStorage",
        "UseDevelopmentStorage=true",
        "Host storage; also documents and definitions unless DOCUMENTS_STORAGE is set.",
    ),
    Setting(
        "DOCUMENTS_STORAGE",
        None,
        "Blob storage for drafts, final documents and workflow definitions. In Azure an "
        "identity-based connection (DOCUMENTS_STORAGE__blobServiceUri, __credential, "
        "__clientId).",
    ),
    Setting(
        "DOCUMENTS_STORAGE__blobServiceUri",
        None,
        "Identity-based documents storage in Azure: https://<account>.blob.core.windows.net "
        "(used when DOCUMENTS_STORAGE is unset; the identity is AZURE_CLIENT_ID).",
    ),
    Setting(
        "DATABASE_URL",
        "sqlite:///.devhost/app.sqlite",
        "SQLAlchemy URL of the app database (master index, audit, approvals, records).",
    ),
    Setting("MAIL_TRANSPORT", "outbox", "'outbox' (.eml files) or 'sendgrid'."),
    Setting(
        "MAIL_OUTBOX_DIR", ".devhost/outbox", "Folder of the local mail outbox.", local_only=True
    ),
    Setting("MAIL_FROM", "workflows@example.com", "Sender address of workflow mail."),
    Setting("SENDGRID_API_KEY", None, "SendGrid key (a Key Vault reference in Azure)."),
    Setting("DOCUMENT_LIBRARY", "folder", "'folder' (versioned folder tree) or 'graph'."),
    Setting(
        "DOCUMENT_LIBRARY_DIR",
        ".devhost/library",
        "Root of the local document library.",
        local_only=True,
    ),
    Setting("GRAPH_SITE_ID", None, "SharePoint site id for the Graph document library."),
    Setting("GRAPH_DRIVE_ID", None, "Drive (document library) id within the site."),
    Setting(
        "PUBLIC_BASE_URL",
        None,
        "Base URL of links in mail and API answers; unset: derived from WEBSITE_HOSTNAME.",
    ),
    Setting(
        "APPROVAL_SIGNING_KEYS",
        None,
        "Comma-separated signing keys for approval links, newest first (rotation).",
    ),
    Setting(
        "TRUST_EASY_AUTH",
        "false",
        "true behind App Service authentication: the signed-in principal must match.",
    ),
    Setting(
        "SOURCE_DATABASES",
        None,
        "JSON object: database name -> SQLAlchemy URL of the databases to document.",
    ),
    Setting(
        "APPROVAL_POLICY_FILE",
        "examples/approval-policy.json",
        "JSON file that seeds tier rules, roles, members and escalation contacts.",
    ),
    Setting("WORKFLOWS_PATH", "workflows", "Folder of workflow definitions."),
    Setting(
        "WORKFLOW_DEFINITIONS_CONTAINER",
        "workflow-definitions",
        "Blob container of workflow definitions (<name>/<version>.json).",
    ),
    Setting(
        "AZURE_CLIENT_ID",
        None,
        "Client id of the user-assigned managed identity (azure-identity reads it).",
    ),
    Setting(
        "REQUESTER_MAIL_DOMAIN",
        None,
        "Mail domain of requesters named by user name (requestedBy 'rita' or 'CORP\\rita' "
        "is mailed at rita@<domain>); unset: such requesters are not mailed, and the audit "
        "trail says so.",
    ),
    Setting(
        "STUCK_MONITOR_SCHEDULE",
        "0 */15 * * * *",
        "NCRONTAB schedule of the stuck-instance monitor (the timer binding reads "
        "%STUCK_MONITOR_SCHEDULE%).",
    ),
    Setting(
        "STUCK_AFTER",
        "PT50H",
        "A Running instance not waiting on a deadline is stuck after this long (ISO 8601).",
    ),
    Setting(
        "STUCK_GRACE",
        "PT1H",
        "A Running instance whose deadline passed more than this long ago is stuck.",
    ),
    Setting(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        None,
        "Application Insights: when set, traces, logs and metrics are exported with "
        "azure-monitor-opentelemetry.",
    ),
    Setting(
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        None,
        "'Authorization=AAD' (with ClientId=...): the exporter authenticates with the "
        "managed identity instead of the connection string's key.",
    ),
    Setting(
        "WEBSITE_HOSTNAME",
        None,
        "host:port the app is served at, set by the Functions host (Azure: the app's "
        "default host name; Core Tools: localhost:<port>; devhost: 127.0.0.1:<port>).",
        platform=True,
    ),
    Setting(
        "SCHEDULES_FILE",
        "schedules/schedules.json",
        'JSON file of scheduled workflows ({"schedules": [...]}); empty for none.',
    ),
    Setting(
        "SCHEDULES_CONTAINER",
        "workflow-schedules",
        "Blob container of more schedule documents (every *.json in it).",
    ),
    Setting(
        "SCHEDULES_TIMER_SCHEDULE",
        "*/15 * * * * *",
        "NCRONTAB of the timer that enqueues due schedules (a %binding% expression).",
    ),
    Setting(
        "CLAIM_AUTO_APPROVE_LIMIT",
        "1000",
        "Claims up to this amount approve without a decision: '1000' (any currency) or "
        "'1000 EUR' (only that currency).",
    ),
    Setting(
        "OUTBOUND_HTTP_ALLOWED_HOSTS",
        "",
        "Comma-separated destinations http_request may call: host, host:port, *.domain, "
        "an IP or a CIDR; private and loopback addresses only when listed as IP or CIDR.",
    ),
    Setting(
        "OUTBOUND_HTTP_MAX_RESPONSE_BYTES",
        "1048576",
        "Largest response body http_request reads (bytes, after decompression).",
    ),
    Setting(
        "DEVICE_EVENTS_LIMIT",
        "1000",
        "Most events the device entity holds; beyond it the oldest are dropped (counted).",
    ),
    Setting(
        "DEVICE_BATCH_SIZE",
        "50",
        "Events that close a device's batch window before its time is up.",
    ),
    Setting(
        "DEVICE_BATCH_WINDOW",
        "PT5M",
        "How long a device's batch window stays open (ISO 8601), fixed when it opens.",
    ),
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

    def public_base_url(self) -> str:
        """Where people reach the app: ``PUBLIC_BASE_URL`` when set, else the address the
        Functions host gives it in ``WEBSITE_HOSTNAME`` (http on a loopback address, as devhost
        and Core Tools serve; https elsewhere, as Azure does), so links follow the port the
        host really listens on."""
        explicit = (self.get("PUBLIC_BASE_URL") or "").strip()
        if explicit:
            return explicit.rstrip("/")
        hostname = (self.get("WEBSITE_HOSTNAME") or "").strip().rstrip("/")
        if not hostname:
            raise RuntimeError(
                "PUBLIC_BASE_URL is not set and the host gave no "
                "WEBSITE_HOSTNAME; set PUBLIC_BASE_URL to the app's public URL"
            )
        scheme = "http" if _is_loopback(hostname) else "https"
        return f"{scheme}://{hostname}"


def _is_loopback(hostname: str) -> bool:
    """``127.0.0.1:7071``, ``localhost:7071``, ``[::1]:7071``: served on this machine only."""
    name = urlsplit(f"//{hostname}").hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def load(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings({s.name: env.get(s.name, s.default) for s in SETTINGS})
