"""The admin routes: malformed sends get the 400 docs/bad-input.md documents and change
nothing; counts and listings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from devhost.messaging import ConfigError
from devhost.testing import DevHost
from helpers.bad_input import Row, case_id, check_problem, rows
from messaging_support import counts, send

Send = tuple[str, bytes, dict[str, str], dict[str, str]]

# What each case of docs/bad-input.md's ``test_bad_send`` rows sends: (path under
# /admin/devhost, body, query, headers); several sends per case all get the row's answer.
SENDS: dict[str, list[Send]] = {
    "empty-body": [("queues/fragile", b"", {}, {}), ("storage-queues/work", b"", {}, {})],
    "empty-session-id": [("queues/device-events", b"x", {"sessionId": ""}, {})],
    "session-id-too-long": [("queues/device-events", b"x", {"sessionId": "s" * 129}, {})],
    "message-id-with-control-character": [("queues/fragile", b"x", {"messageId": "a\nb"}, {})],
    "session-queue-without-session-id": [("queues/device-events", b"x", {}, {})],
    "unknown-queue": [("queues/nowhere", b"x", {}, {})],
    "unknown-topic": [("topics/nowhere", b"x", {}, {})],
    "properties-not-json": [
        ("queues/fragile", b"x", {}, {"X-Application-Properties": "{not json"})
    ],
    "properties-not-an-object-of-scalars": [
        ("queues/fragile", b"x", {}, {"X-Application-Properties": value})
        for value in ("[1, 2]", '{"nested": {"a": 1}}', '{"list": [1]}')
    ],
    "properties-nested-too-deep": [
        ("queues/fragile", b"x", {}, {"X-Application-Properties": "[" * 200 + "]" * 200})
    ],
    "scheduled-not-a-time": [("queues/fragile", b"x", {"scheduledEnqueueTime": "tomorrow"}, {})],
    "scheduled-without-offset": [
        ("queues/fragile", b"x", {"scheduledEnqueueTime": "2030-01-01T00:00:00"}, {})
    ],
    "ttl-not-a-duration": [
        ("queues/fragile", b"x", {"timeToLive": ttl}, {})
        for ttl in ("soon", "-PT1S", "P9999999999D")
    ],
    "ttl-not-positive": [
        ("queues/fragile", b"x", {"timeToLive": ttl}, {}) for ttl in ("PT0S", "P0D", "00:00:00")
    ],
    "ttl-over-timespan": [("queues/fragile", b"x", {"timeToLive": "P99999999D"}, {})],
    "storage-queue-bad-name": [("storage-queues/Bad_Name", b"x", {}, {})],
    "storage-visibility-out-of-range": [
        ("storage-queues/work", b"x", {"visibilityTimeout": v}, {})
        for v in ("-1", "soon", "604801", "99999999999999999999")
    ],
}

ROWS = rows("devhost", "test_bad_send")


def test_every_send_row_has_a_case_and_every_case_a_row() -> None:
    assert sorted(case_id(r) for r in ROWS) == sorted(SENDS)


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_bad_send(messaging_host: DevHost, row: Row) -> None:
    # Something already queued, in a queue no function reads (the "all" subscription).
    send(messaging_host, "alerts", "kept", topic=True)
    send(
        messaging_host,
        "device-events",
        "kept",
        sessionId="early",
        scheduledEnqueueTime=(
            messaging_host.now().replace(year=messaging_host.now().year + 1).isoformat()
        ),
    )
    before = counts(messaging_host, "queues"), counts(messaging_host, "storage-queues")
    for path, body, params, headers in SENDS[case_id(row)]:
        answer = messaging_host.http(
            "POST",
            f"/admin/devhost/{path}/messages",
            data=body,
            params=params or None,
            headers=headers,
        )
        check_problem(answer, row)
        assert (
            counts(messaging_host, "queues"),
            counts(messaging_host, "storage-queues"),
        ) == before  # nothing stored


# The other admin routes of the stand-in: (method, path under /admin/devhost).
REQUESTS: dict[str, list[tuple[str, str]]] = {
    "unknown-entity": [
        ("GET", path)
        for path in (
            "queues/nowhere",
            "queues/nowhere/deadletter",
            "topics/alerts/subscriptions/nobody",
            "topics/nowhere/subscriptions/all/deadletter",
        )
    ],
    "resubmit-unknown-entity": [("POST", "queues/nowhere/deadletter/m1/resubmit")],
    "storage-queue-bad-name-read": [
        ("GET", "storage-queues/Bad_Name"),
        ("GET", "storage-queues/Bad_Name/messages"),
    ],
    "resubmit-unknown-message": [
        ("POST", "queues/fragile/deadletter/never-dead/resubmit"),
        ("POST", "queues/fragile/deadletter/%7Bodd%0Aid%7D/resubmit"),
    ],
}
ADMIN_ROWS = rows("devhost", "test_bad_admin_request")


def test_every_admin_row_has_a_case_and_every_case_a_row() -> None:
    assert sorted(case_id(r) for r in ADMIN_ROWS) == sorted(REQUESTS)


@pytest.mark.parametrize("row", ADMIN_ROWS, ids=case_id)
def test_bad_admin_request(messaging_host: DevHost, row: Row) -> None:
    for method, path in REQUESTS[case_id(row)]:
        check_problem(messaging_host.http(method, f"/admin/devhost/{path}"), row)


def test_listing_shows_every_entity_with_counts(messaging_host: DevHost) -> None:
    names = {e["name"]: e for e in counts(messaging_host, "queues")["entities"]}
    assert {
        "fragile",
        "device-events",
        "bulk",
        "relay-in",
        "relay-out",
        "scheduled",
        "once",
        "alerts/Subscriptions/all",
        "alerts/Subscriptions/critical",
    } <= set(names)
    assert names["device-events"]["requiresSession"] is True
    assert names["alerts/Subscriptions/critical"]["maxDeliveryCount"] == 3
    assert messaging_host.http("GET", "/admin/devhost/queues/nowhere").status == 404


def test_a_malformed_config_file_stops_the_host_naming_the_field(
    apps_dir: Path, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(apps_dir / "messaging_bench_app", app)
    (app / "servicebus.config.json").write_text(
        json.dumps(
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "ns",
                            "Queues": [
                                {"Name": "bench-noop", "Properties": {"LockDuration": "one minute"}}
                            ],
                        }
                    ]
                }
            }
        )
    )
    host = DevHost(app, clock="virtual", data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match=r"Queues\[0\]\.Properties\.LockDuration"):
        host.start()


def test_a_message_id_with_braces_can_be_resubmitted(messaging_host: DevHost) -> None:
    send(messaging_host, "fragile", "boom", messageId="{odd}")
    messaging_host.wait_idle()
    answer = messaging_host.http(
        "POST", "/admin/devhost/queues/fragile/deadletter/%7Bodd%7D/resubmit"
    )
    assert answer.status == 200, answer.text
    assert answer.json() == {"name": "fragile", "resubmitted": 1}
