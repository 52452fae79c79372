"""Telemetry: the app's metrics, and where they go.

``telemetry.metrics`` defines every instrument and the small functions code calls to record
(``record_quarantined``, ``record_device_event``, ...); they are no-ops until ``configure``
installs a meter provider. ``configure`` (called once by ``function_app.py``) always keeps the
metrics readable at ``GET /api/operations/metrics`` (Prometheus text) and, when
``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set, also exports traces, logs and metrics to
Application Insights with ``azure-monitor-opentelemetry``.
"""

from telemetry.metrics import (
    record_activity_failed,
    record_dead_lettered,
    record_device_event,
    record_quarantined,
    record_workflow_ended,
    record_workflow_started,
)
from telemetry.setup import configure, prometheus_text, set_stuck_count

__all__ = [
    "configure",
    "prometheus_text",
    "record_activity_failed",
    "record_dead_lettered",
    "record_device_event",
    "record_quarantined",
    "record_workflow_ended",
    "record_workflow_started",
    "set_stuck_count",
]
