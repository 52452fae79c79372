"""Helpers for the messaging integration tests: the apps' ledger file and admin-route calls."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from pathlib import Path
from typing import Any

from devhost.testing import DevHost


class Ledger:
    """The JSONL file the test app writes one line per function call to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = [json.loads(line) for line in self.path.read_text().splitlines() if line]
        return [e for e in lines if kind is None or e.get("kind") == kind]


def send(
    host: DevHost,
    queue: str,
    body: str | bytes,
    *,
    topic: bool = False,
    headers: dict[str, str] | None = None,
    **params: str,
) -> Any:
    """POST a message through the admin route; fails the test unless it was accepted."""
    kind = "topics" if topic else "queues"
    answer = host.http(
        "POST",
        f"/admin/devhost/{kind}/{queue}/messages",
        data=body,
        headers=headers,
        params=params or None,
    )
    assert answer.status == 201, answer.text
    return answer.json()


def counts(host: DevHost, path: str) -> dict[str, Any]:
    answer = host.http("GET", f"/admin/devhost/{path}")
    assert answer.status == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


class KeepAliveSender:
    """Sends many messages over one HTTP connection (urllib opens one per request)."""

    def __init__(self, host: DevHost) -> None:
        parsed = urllib.parse.urlsplit(host.base_url)
        self.connection = http.client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port, timeout=30
        )

    def send(self, queue: str, body: str, **params: str) -> None:
        path = f"/admin/devhost/queues/{queue}/messages?{urllib.parse.urlencode(params)}"
        self.connection.request("POST", path, body=body.encode())
        answer = self.connection.getresponse()
        text = answer.read()
        assert answer.status == 201, text

    def close(self) -> None:
        self.connection.close()
