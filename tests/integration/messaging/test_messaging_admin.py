"""The admin routes: malformed sends get a clear 400 and change nothing; counts and listings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from messaging_support import counts, send

from devhost.messaging import ConfigError
from devhost.testing import DevHost

BAD_SENDS = [
    ("queues/fragile", b"", {}, {}, "body"),
    ("queues/device-events", b"x", {"sessionId": ""}, {}, "sessionId"),
    ("queues/device-events", b"x", {"sessionId": "s" * 129}, {}, "sessionId"),
    ("queues/device-events", b"x", {}, {}, "sessionId"),  # the queue requires sessions
    ("queues/nowhere", b"x", {}, {}, "queue"),
    ("topics/nowhere", b"x", {}, {}, "topic"),
    ("queues/fragile", b"x", {}, {"X-Application-Properties": "{not json"},
     "X-Application-Properties"),
    ("queues/fragile", b"x", {}, {"X-Application-Properties": "[1, 2]"},
     "X-Application-Properties"),
    ("queues/fragile", b"x", {"scheduledEnqueueTime": "tomorrow"}, {}, "scheduledEnqueueTime"),
    ("queues/fragile", b"x", {"scheduledEnqueueTime": "2030-01-01T00:00:00"}, {},
     "scheduledEnqueueTime"),
    ("queues/fragile", b"x", {"timeToLive": "soon"}, {}, "timeToLive"),
    ("storage-queues/Bad_Name", b"x", {}, {}, "queue"),
    ("storage-queues/work", b"", {}, {}, "body"),
]


@pytest.mark.parametrize(("path", "body", "params", "headers", "field"), BAD_SENDS)
def test_malformed_sends_get_a_400_naming_the_field_and_change_nothing(
        messaging_host: DevHost, path: str, body: bytes, params: dict[str, str],
        headers: dict[str, str], field: str) -> None:
    # Something already queued, in a queue no function reads (the "all" subscription).
    send(messaging_host, "alerts", "kept", topic=True)
    send(messaging_host, "device-events", "kept", sessionId="early", scheduledEnqueueTime=(
        messaging_host.now().replace(year=messaging_host.now().year + 1).isoformat()))
    before = counts(messaging_host, "queues")
    answer = messaging_host.http("POST", f"/admin/devhost/{path}/messages", data=body,
                                 params=params or None, headers=headers)
    assert answer.status == 400
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["field"] == field
    assert field in problem["detail"]
    assert counts(messaging_host, "queues") == before


def test_listing_shows_every_entity_with_counts(messaging_host: DevHost) -> None:
    names = {e["name"]: e for e in counts(messaging_host, "queues")["entities"]}
    assert {"fragile", "device-events", "bulk", "relay-in", "relay-out", "scheduled", "once",
            "alerts/Subscriptions/all", "alerts/Subscriptions/critical"} <= set(names)
    assert names["device-events"]["requiresSession"] is True
    assert names["alerts/Subscriptions/critical"]["maxDeliveryCount"] == 3
    assert messaging_host.http("GET", "/admin/devhost/queues/nowhere").status == 404


def test_a_malformed_config_file_stops_the_host_naming_the_field(apps_dir: Path,
                                                                tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(apps_dir / "messaging_bench_app", app)
    (app / "servicebus.config.json").write_text(json.dumps({"UserConfig": {"Namespaces": [
        {"Name": "ns", "Queues": [{"Name": "bench-noop",
                                   "Properties": {"LockDuration": "one minute"}}]}]}}))
    host = DevHost(app, clock="virtual", data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match=r"Queues\[0\]\.Properties\.LockDuration"):
        host.start()
