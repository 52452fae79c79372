"""Operations: the stuck-instance monitor (a timer) and its report, and the metrics.

``monitor_blueprint`` holds the timer, so an app registers it on its own
(``app.register_functions(api.monitor_blueprint)``) next to ``api.blueprint``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

# The host's timer data decoded by azure.functions: func.TimerRequest, its abstract base,
# declares only past_due, not the schedule_status this module reads.
from azure.functions.timer import TimerRequest

import settings
import telemetry
from adapters import NotFoundError
from api._management import management_route
from management.durable_http import DurableHttp
from management.stuck import REPORT_BLOB, REPORT_CONTAINER, StuckRules, format_duration, scan
from runtime import runtime

__all__ = [
    "configure_telemetry",
    "metrics",
    "monitor_blueprint",
    "stuck_instances",
    "stuck_monitor",
]

log = logging.getLogger(__name__)

monitor_blueprint = df.Blueprint()


def _timer_now(timer: TimerRequest) -> datetime:
    """The host's time of this tick (devhost's virtual clock in tests), else the wall clock."""
    text = (timer.schedule_status or {}).get("LastUpdated")
    if isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _approvals_pending() -> list[tuple[float, dict[str, str]]]:
    from services.approval.approvals import count_open

    return [(float(count_open(runtime().adapters.database)), {})]


def configure_telemetry() -> str:
    """``telemetry.configure`` with the gauges read from the app (approvals pending)."""
    return telemetry.configure(
        gauges=[
            (
                "approvals.pending",
                "Approvals open and waiting for decisions",
                "{approval}",
                _approvals_pending,
            )
        ]
    )


@monitor_blueprint.timer_trigger(
    schedule="%STUCK_MONITOR_SCHEDULE%", arg_name="timer", run_on_startup=False
)
@monitor_blueprint.durable_client_input(client_name="client")
async def stuck_monitor(timer: TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Scan the Running instances; log each stuck one, count them, keep the report."""
    report = await scan(
        DurableHttp.of(client), _timer_now(timer), StuckRules.from_settings(settings.load())
    )
    telemetry.set_stuck_count(report["count"])
    runtime().adapters.blobs.put(
        REPORT_CONTAINER,
        REPORT_BLOB,
        json.dumps(report, indent=2).encode("utf-8"),
        content_type="application/json",
    )
    if report["count"]:
        log.warning("stuck-instance monitor: %d stuck instance(s)", report["count"])


@management_route("operations/stuck", ["GET"], "read")
async def stuck_instances(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """The last scan of the stuck-instance monitor (``scannedAt`` null before the first)."""
    try:
        stored = runtime().adapters.blobs.get(REPORT_CONTAINER, REPORT_BLOB)
    except NotFoundError:
        rules = StuckRules.from_settings(settings.load())
        return {
            "scannedAt": None,
            "after": format_duration(rules.after),
            "grace": format_duration(rules.grace),
            "count": 0,
            "instances": [],
        }
    report: dict[str, Any] = json.loads(stored.content)
    return report


@management_route("operations/metrics", ["GET"], "read")
async def metrics(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Every metric in the Prometheus text format (OpenTelemetry's Prometheus reader)."""
    configure_telemetry()
    return func.HttpResponse(
        telemetry.prometheus_text(),
        status_code=200,
        mimetype="text/plain",
        charset="utf-8",
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
