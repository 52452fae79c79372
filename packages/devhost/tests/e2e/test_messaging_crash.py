"""kill -9 of ``python -m devhost start`` with 1,000 Service Bus messages queued or in flight.

The first devhost handles messages slowly (``SLOW_SECONDS``) so that when it is killed some are
in flight and most are queued; the second, on the same data dir, must finish every one, and
the ones that were in flight must come back with their delivery count increased.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostProcess

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parents[1] / "apps" / "messaging_app"
MESSAGES = 1000


def call(method: str, url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def devhost(data_dir: Path, ledger: Path, slow: float) -> DevhostProcess:
    """devhost as a process on ``data_dir`` (start it with ``with``); always stopped."""
    return DevhostProcess(
        APP,
        data_dir,
        clock="real",
        env={"MESSAGING_LEDGER": str(ledger), "SLOW_SECONDS": str(slow)},
    )


def entries(ledger: Path, kind: str) -> list[dict[str, Any]]:
    if not ledger.exists():
        return []
    lines = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    return [e for e in lines if e["kind"] == kind]


def test_kill_9_loses_nothing_and_in_flight_messages_return_counted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with devhost(data, first, slow=0.5) as running:
        # One kept-alive connection: urllib would open one per message.
        connection = http.client.HTTPConnection("127.0.0.1", running.port)
        for n in range(MESSAGES):
            connection.request(
                "POST",
                f"/admin/devhost/queues/crash-test/messages?messageId=m{n}",
                body=f"message {n}".encode(),
            )
            answer = connection.getresponse()
            assert answer.status == 201, answer.read()
            answer.read()
        connection.close()
        running.kill()
    started = {e["messageId"] for e in entries(first, "slow-start")}
    done = {e["messageId"] for e in entries(first, "slow-done")}
    in_flight = started - done
    assert in_flight, "the kill should have caught messages in flight"
    assert len(done) < MESSAGES, "the kill should have left messages queued"

    with devhost(data, second, slow=0) as running:
        url = running.base_url
        status, idle = call("POST", f"{url}/admin/devhost/idle?timeout=60")
        assert status == 200, idle
        status, state = call("GET", f"{url}/admin/devhost/queues/crash-test")
        assert status == 200
        assert (state["active"], state["deadLetter"]) == (0, 0)
    redone = entries(second, "slow-done")
    finished = done | {e["messageId"] for e in redone}
    assert finished == {f"m{n}" for n in range(MESSAGES)}  # none lost
    counts = {e["messageId"]: e["deliveryCount"] for e in redone}
    assert {m: counts[m] for m in in_flight} == dict.fromkeys(in_flight, 2)
    untouched = {f"m{n}" for n in range(MESSAGES)} - started
    assert {counts[m] for m in untouched} == {1}
