"""devhost in-process on the messaging test apps, with a ledger file the apps append to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.testing import DevHost
from messaging_support import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.jsonl")


@pytest.fixture
def messaging_host(apps_dir: Path, tmp_path: Path, ledger: Ledger) -> Iterator[DevHost]:
    with DevHost(
        apps_dir / "messaging_app",
        clock="virtual",
        data_dir=tmp_path / "data",
        settings={"MESSAGING_LEDGER": str(ledger.path)},
    ) as host:
        yield host
