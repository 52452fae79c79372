"""Lock renewal on the real clock: a call that outlives its lock is not delivered twice."""

from __future__ import annotations

from pathlib import Path

from devhost.testing import DevHost
from messaging_support import Ledger, counts, send


def test_a_long_call_keeps_its_lock_by_renewal(
    apps_dir: Path, tmp_path: Path, ledger: Ledger
) -> None:
    with DevHost(
        apps_dir / "messaging_app",
        clock="real",
        data_dir=tmp_path / "data",
        settings={"MESSAGING_LEDGER": str(ledger.path)},
    ) as host:
        send(host, "long-lock", "2.5")  # the queue's LockDuration is PT1S
        host.wait_idle()
        assert [e["deliveryCount"] for e in ledger.entries("long-start")] == [1]
        assert [e["deliveryCount"] for e in ledger.entries("long-done")] == [1]
        assert counts(host, "queues/long-lock")["active"] == 0
