"""Where the metrics (and, with Application Insights, traces and logs) go.

``configure`` runs once per process (``function_app.py`` calls it at import; the metrics route
calls it too, which is then a no-op). A Prometheus reader is always installed, so
``GET /api/operations/metrics`` shows the same numbers locally and in Azure. With
``APPLICATIONINSIGHTS_CONNECTION_STRING`` set, ``azure-monitor-opentelemetry`` takes over the
global providers and adds its exporters: the portal gets the traces, the logs (every record
of the root logger, with its ``extra`` fields as custom dimensions) and these metrics. With
``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` (``Authorization=AAD``) the exporter signs in
with the managed identity, since local authentication is off on the Application Insights
resource (``infra/app/monitoring.bicep``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import REGISTRY, generate_latest

from telemetry.metrics import observe

__all__ = ["SERVICE_NAME", "configure", "prometheus_text", "set_stuck_count"]

log = logging.getLogger(__name__)

SERVICE_NAME = "workflow-functions"
_lock = threading.Lock()
_configured: list[str] = []  # how it was configured, once: "local" or "azure-monitor"
_stuck: dict[str, int] = {}
# Their INFO records (an instance ended, with instanceId and workflow) reach Application Insights.
_APP_LOGGERS = ("orchestration", "management", "api", "activities", "ingress", "services")


def configure(
    settings: Any | None = None, gauges: Iterable[tuple[str, str, str, Callable[[], Any]]] = ()
) -> str:
    """Install the providers once; returns ``"local"`` or ``"azure-monitor"``."""
    with _lock:
        if _configured:
            return _configured[0]
        if settings is None:
            import settings as app_settings

            settings = app_settings.load()
        reader = PrometheusMetricReader()
        connection = settings.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
        if connection:
            from azure.monitor.opentelemetry import configure_azure_monitor

            options: dict[str, Any] = {
                "connection_string": connection,
                "metric_readers": [reader],
                # Live metrics polls its own endpoint every second:
                # off unless the portal's Live Metrics is wanted.
                "enable_live_metrics": False,
                "resource": Resource.create({"service.name": SERVICE_NAME}),
            }
            credential = _credential(settings)
            if credential is not None:
                options["credential"] = credential
            configure_azure_monitor(**options)
            for name in _APP_LOGGERS:  # the root logger stays as the host set it (WARNING)
                logger = logging.getLogger(name)
                if logger.level == logging.NOTSET:
                    logger.setLevel(logging.INFO)
            how = "azure-monitor"
        else:
            metrics.set_meter_provider(
                MeterProvider(
                    metric_readers=[reader],
                    resource=Resource.create({"service.name": SERVICE_NAME}),
                )
            )
            how = "local"
        observe(
            "instances.stuck",
            "Running instances the last stuck-instance scan reported",
            "{instance}",
            lambda: [(float(n), {}) for n in _stuck.values()],
        )
        for name, description, unit, read in gauges:
            observe(name, description, unit, read)
        _configured.append(how)
        log.info("telemetry configured (%s)", how)
        return how


def _credential(settings: Any) -> Any:
    """The managed identity when the authentication string asks for Entra ID (AAD)."""
    text = settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") or ""
    parts = dict(p.split("=", 1) for p in text.split(";") if "=" in p)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    client_id = parts.get("ClientId") or settings.get("AZURE_CLIENT_ID")
    return (
        ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()
    )


def set_stuck_count(count: int) -> None:
    """What the last stuck-instance scan found (the ``instances.stuck`` gauge)."""
    _stuck["last"] = count


def prometheus_text() -> bytes:
    """Every metric in the Prometheus text exposition format."""
    return bytes(generate_latest(REGISTRY))
