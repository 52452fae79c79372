"""Time to live on devhost's Service Bus: what Service Bus refuses gets a 400 naming
``timeToLive``; what it accepts never stops a queue, not even after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.testing import DevHost
from helpers.broker_v0 import sb_row, write_v0
from messaging_support import Ledger, counts, send


@pytest.mark.parametrize("ttl", ["P99999999D", "P9999999999D", "PT0S", "P0D", "-PT1S", "soon"])
def test_a_time_to_live_service_bus_refuses_gets_a_400_and_stores_nothing(
    messaging_host: DevHost, ttl: str
) -> None:
    before = counts(messaging_host, "queues/relay-in")
    answer = messaging_host.http(
        "POST", "/admin/devhost/queues/relay-in/messages", data="x", params={"timeToLive": ttl}
    )
    assert answer.status == 400, answer.text
    problem = answer.json()
    assert problem["field"] == "timeToLive"
    assert problem["detail"].count("timeToLive") == 1, problem["detail"]
    assert counts(messaging_host, "queues/relay-in") == before


def test_a_time_to_live_past_the_year_9999_is_delivered_and_the_queue_keeps_flowing(
    messaging_host: DevHost, ledger: Ledger
) -> None:
    send(messaging_host, "relay-in", "long", timeToLive="P10000000D")
    send(messaging_host, "relay-in", "next")
    messaging_host.wait_idle()
    assert sorted(e["body"] for e in ledger.entries("relayed")) == [
        "long-1",
        "long-2",
        "next-1",
        "next-2",
    ]


def test_a_message_an_older_devhost_stored_with_an_impossible_expiry_is_delivered(
    apps_dir: Path, tmp_path: Path, ledger: Ledger
) -> None:
    data, settings = tmp_path / "data", {"MESSAGING_LEDGER": str(ledger.path)}
    # What the old code stored (epoch seconds, a time to live past the year 9999), in the
    # broker file's old layout, which devhost upgrades when it opens the file. Sent in 2000:
    # due whatever time the host's clock starts at.
    parked = sb_row(1, "relay-in", "parked", 946684800.0, expires_at=1e15)
    write_v0(data / "broker.sqlite", sb=[parked])
    for _ in range(2):  # and it stays fixed over a restart
        with DevHost(apps_dir / "messaging_app", data_dir=data, settings=settings) as host:
            host.wait_idle()
            send(host, "relay-in", "after")
            host.wait_idle()
            assert counts(host, "queues/relay-in")["active"] == 0
    assert sorted(e["body"] for e in ledger.entries("relayed")) == [
        "after-1",
        "after-1",
        "after-2",
        "after-2",
        "parked-1",
        "parked-2",
    ]
