"""``python -m devhost send|queues`` against an in-process devhost, through the real parser."""

from __future__ import annotations

import json

import pytest

from devhost.cli import main
from devhost.testing import DevHost
from messaging_support import Ledger


def run(host: DevHost, *argv: str) -> int:
    return main([*argv, "--url", host.base_url])


def test_send_then_list_dead_letters_and_resubmit(
    messaging_host: DevHost, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            messaging_host,
            "send",
            "fragile",
            "--body",
            "fine",
            "--message-id",
            "a",
            "--correlation-id",
            "c",
            "--content-type",
            "text/plain",
            "--property",
            "rank=3",
            "--property",
            "source=cli",
        )
        == 0
    )
    assert run(messaging_host, "send", "fragile", "--body", "boom", "--message-id", "b") == 0
    messaging_host.wait_idle()
    first = ledger.entries("fragile")[0]
    assert (first["messageId"], first["correlationId"], first["contentType"]) == (
        "a",
        "c",
        "text/plain",
    )
    assert first["properties"] == {"rank": 3, "source": "cli"}
    capsys.readouterr()

    assert run(messaging_host, "queues") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "name",
        "active",
        "locked",
        "scheduled",
        "deadLetter",
        "requiresSession",
    ]
    assert any(line.split()[:5] == ["fragile", "0", "0", "0", "1"] for line in table)

    assert run(messaging_host, "queues", "fragile", "--deadletter") == 0
    assert "MaxDeliveryCountExceeded" in capsys.readouterr().out
    assert run(messaging_host, "queues", "fragile", "--resubmit", "b") == 0
    messaging_host.wait_idle()
    assert sum(e["messageId"] == "b" for e in ledger.entries("fragile")) == 20


def test_sessions_topics_and_storage_queues(
    messaging_host: DevHost, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(messaging_host, "send", "device-events", "--body", "e1", "--session-id", "dev-1") == 0
    )
    assert (
        run(messaging_host, "send", "alerts", "--topic", "--body", "hot", "--subject", "critical")
        == 0
    )
    assert run(messaging_host, "send", "relay-work", "--storage", "--body", "job") == 0
    messaging_host.wait_idle()
    assert [e["sessionId"] for e in ledger.entries("session")] == ["dev-1"]
    assert [e["body"] for e in ledger.entries("critical")] == ["hot"]
    assert [e["body"] for e in ledger.entries("storage")] == ["job"]
    capsys.readouterr()
    assert run(messaging_host, "queues", "alerts/Subscriptions/all") == 0
    assert json.loads(capsys.readouterr().out)["active"] == 1
    assert run(messaging_host, "queues", "--storage") == 0
    assert "relay-work" in capsys.readouterr().out


def test_a_refused_send_exits_1_with_the_reason(
    messaging_host: DevHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(messaging_host, "send", "device-events", "--body", "no session") == 1
    assert capsys.readouterr().err == (
        "devhost: 400 Bad Request: sessionId: 'device-events' requires sessions: every message"
        " needs a session id\n"
    )
