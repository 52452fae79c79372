"""kill -9 of ``python -m devhost start`` with 1,000 Service Bus messages queued or in flight.

The first devhost handles messages slowly (``SLOW_SECONDS``) so that when it is killed some are
in flight and most are queued; the second, on the same data dir, must finish every one, and
the ones that were in flight must come back with their delivery count increased.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "apps" / "messaging_app"
MESSAGES = 1000


def call(method: str, url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def devhost(data_dir: Path, ledger: Path,
            slow: float) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start devhost as a process; always killed at the end."""
    port = free_port()
    env = {**os.environ, "MESSAGING_LEDGER": str(ledger), "SLOW_SECONDS": str(slow),
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devhost", "start", "--app-dir", str(APP), "--port", str(port),
         "--data-dir", str(data_dir), "--clock", "real"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"devhost exited: {process.stderr.read().decode()[-2000:]}"
                                   if process.stderr else "devhost exited")
            try:
                if call("GET", f"{url}/admin/host/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("devhost did not become ready in 60 s")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def entries(ledger: Path, kind: str) -> list[dict[str, Any]]:
    if not ledger.exists():
        return []
    lines = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    return [e for e in lines if e["kind"] == kind]


def test_kill_9_loses_nothing_and_in_flight_messages_return_counted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with devhost(data, first, slow=0.5) as (url, process):
        # One kept-alive connection: urllib would open one per message.
        connection = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        for n in range(MESSAGES):
            connection.request("POST", f"/admin/devhost/queues/crash-test/messages?messageId=m{n}",
                               body=f"message {n}".encode())
            answer = connection.getresponse()
            assert answer.status == 201, answer.read()
            answer.read()
        connection.close()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    started = {e["messageId"] for e in entries(first, "slow-start")}
    done = {e["messageId"] for e in entries(first, "slow-done")}
    in_flight = started - done
    assert in_flight, "the kill should have caught messages in flight"
    assert len(done) < MESSAGES, "the kill should have left messages queued"

    with devhost(data, second, slow=0) as (url, _):
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
