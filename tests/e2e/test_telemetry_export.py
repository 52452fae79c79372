"""With APPLICATIONINSIGHTS_CONNECTION_STRING set, the app exports to Application Insights.

The real app runs as ``python -m devhost start``; its connection string points at a local
recording server standing in for the ingestion endpoint. A workflow runs, and the server
receives the telemetry azure-monitor-opentelemetry sends: our metrics, the logs with the
instance id and workflow name, and traces.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest
from devhost.testing import run_devhost

from tests.support.recording_server import RecordingServer, Reply

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "apps" / "mgmt_app"


def _envelopes(server: RecordingServer) -> list[dict[str, Any]]:
    found = []
    for request in server.requests_to("POST", r"/v2(\.1)?/track"):
        body = request.body
        if request.header("content-encoding") == "gzip" or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        parsed = json.loads(body)
        found.extend(parsed if isinstance(parsed, list) else [parsed])
    return found


def _accept(request: Any, _match: Any) -> Reply:
    body = request.body
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    count = len(json.loads(body)) if body.strip().startswith(b"[") else 1
    return Reply.json({"itemsReceived": count, "itemsAccepted": count, "errors": []})


def _metric_names(envelopes: list[dict[str, Any]]) -> set[str]:
    names = set()
    for envelope in envelopes:
        data = envelope.get("data", {}).get("baseData", {})
        for metric in data.get("metrics", []) if envelope["name"].endswith("Metric") else []:
            names.add(metric.get("name"))
    return names


def _log_properties(envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e["data"]["baseData"].get("properties", {})
        for e in envelopes
        if e["name"].endswith("Message")
    ]


def test_the_ingestion_endpoint_receives_metrics_logs_and_traces(tmp_path: Path) -> None:
    with RecordingServer() as server:
        server.reply("POST", r"/v2(\.1)?/track", _accept)
        env = {
            "APPLICATIONINSIGHTS_CONNECTION_STRING": (
                "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                f"IngestionEndpoint={server.url}/;LiveEndpoint={server.url}/"
            ),
            "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",  # no call to Microsoft
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
            "APPROVAL_POLICY_FILE": str(ROOT / "examples" / "approval-policy.json"),
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "DOCUMENT_LIBRARY_DIR": str(tmp_path / "library"),
            "WORKFLOWS_PATH": str(APP / "workflows"),
        }
        with run_devhost(APP, tmp_path / "devhost", env=env) as running:
            host = running.client
            started = host.http("POST", "/api/workflows/quick/instances", json={"n": 1})
            assert started.status == 202, started.text
            instance_id = started.json()["instanceId"]
            host.wait_for(instance_id)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                envelopes = _envelopes(server)
                logs = _log_properties(envelopes)
                if {"workflows.started", "workflows.ended"} <= _metric_names(envelopes) and any(
                    p.get("instanceId") == instance_id for p in logs
                ):
                    break
                time.sleep(0.2)  # the exporter sends on its own schedule
            else:
                pytest.fail(
                    f"not received in 60 s: metrics {_metric_names(_envelopes(server))}"
                    f"\n{running.output()[-3000:]}"
                )
        ended = next(p for p in logs if p.get("instanceId") == instance_id)
        assert ended["workflow"] == "quick" and ended["outcome"] == "Completed"
        kinds = {e["name"].rsplit(".", 1)[-1] for e in envelopes}
        assert {"Metric", "Message"} <= kinds
        assert kinds & {"Request", "RemoteDependency"}, kinds  # traces too
        assert all(e["iKey"] == "00000000-0000-0000-0000-000000000000" for e in envelopes)
