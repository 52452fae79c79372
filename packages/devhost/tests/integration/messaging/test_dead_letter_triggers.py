"""Triggers on ``<queue>/$deadletterqueue`` (and a subscription's) on devhost, as in Azure: a
message whose handler always fails is delivered MaxDeliveryCount times, dead-lettered, and then
delivered once to the dead-letter trigger with its reason and description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevHost
from messaging_support import counts, send


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.jsonl"


@pytest.fixture
def host(apps_dir: Path, tmp_path: Path, ledger: Path) -> Iterator[DevHost]:
    with DevHost(
        apps_dir / "deadletter_app",
        clock="virtual",
        data_dir=tmp_path / "data",
        settings={
            "DEADLETTER_LEDGER": str(ledger),
            "Bus": "Endpoint=sb://localhost;UseDevelopmentEmulator=true",
        },
    ) as h:
        yield h


def entries(ledger: Path, kind: str) -> list[dict[str, Any]]:
    lines = (
        [json.loads(line) for line in ledger.read_text().splitlines()] if ledger.exists() else []
    )
    return [e for e in lines if e["kind"] == kind]


@pytest.mark.parametrize(
    ("path", "params", "kind"),
    [
        ("queues/work", {}, "work"),
        ("queues/sessions", {"sessionId": "s-1"}, "sessions"),
        ("topics/news", {}, "reader"),
    ],
)
def test_a_dead_letter_reaches_the_dead_letter_trigger_once(
    host: DevHost, ledger: Path, path: str, params: dict[str, str], kind: str
) -> None:
    name = path.split("/", 1)[1]
    send(host, name, "poison", topic=path.startswith("topics"), messageId="m-1", **params)
    host.wait_idle()

    assert [e["deliveryCount"] for e in entries(ledger, kind)] == list(range(1, 11))
    [dead] = entries(ledger, f"{kind}-dead")
    assert (dead["messageId"], dead["body"], dead["reason"]) == (
        "m-1",
        "poison",
        "MaxDeliveryCountExceeded",
    )
    assert "10 delivery attempts" in dead["description"]
    assert dead["sessionId"] == params.get("sessionId")
    entity = "topics/news/subscriptions/reader" if kind == "reader" else path
    assert counts(host, entity)["deadLetter"] == 0  # completed by the dead-letter trigger
