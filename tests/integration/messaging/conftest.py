"""devhost in-process on the messaging test apps, with a ledger file the apps append to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.jsonl")


@pytest.fixture
def messaging_host(apps_dir: Path, tmp_path: Path, ledger: Ledger) -> Iterator[DevHost]:
    with DevHost(apps_dir / "messaging_app", clock="virtual", data_dir=tmp_path / "data",
                 settings={"MESSAGING_LEDGER": str(ledger.path)}) as host:
        yield host


def send(host: DevHost, queue: str, body: str | bytes, *, topic: bool = False,
         headers: dict[str, str] | None = None, **params: str) -> Any:
    """POST a message through the admin route; fails the test unless it was accepted."""
    kind = "topics" if topic else "queues"
    answer = host.http("POST", f"/admin/devhost/{kind}/{queue}/messages", data=body,
                       headers=headers, params=params or None)
    assert answer.status == 201, answer.text
    return answer.json()


def counts(host: DevHost, path: str) -> dict[str, Any]:
    answer = host.http("GET", f"/admin/devhost/{path}")
    assert answer.status == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result
