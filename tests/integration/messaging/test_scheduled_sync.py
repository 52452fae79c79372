"""Acceptance: the scheduled-sync scenario on the virtual clock (tests/apps/sync_app)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from devhost.testing import DevHost


def test_a_minute_gives_four_ticks_eight_items_and_one_failed_workflow(
        apps_dir: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "sync.jsonl"
    with DevHost(apps_dir / "sync_app", clock="virtual", data_dir=tmp_path / "data",
                 settings={"SYNC_LEDGER": str(ledger)}) as host:
        start = host.now()
        host.advance(seconds=60)
        items = [json.loads(line) for line in ledger.read_text().splitlines()]
        ticks = sorted({item["tick"] for item in items})
        assert len(ticks) == 4
        assert len(items) == 8
        moments = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in ticks]
        assert all(start < m <= start + timedelta(seconds=60) for m in moments)
        assert all(m.second % 15 == 0 for m in moments)
        assert [b - a for a, b in pairwise(moments)] == [timedelta(seconds=15)] * 3
        # Each tick saw the clock at its own time: the queue stamped its items then.
        for item in items:
            assert item["insertedAt"] == item["tick"].replace(".000000Z", "+00:00")
        # In tick order: items of a tick are all handled before the next tick.
        assert [item["tick"] for item in items] == sorted(item["tick"] for item in items)

        date = moments[0].date().isoformat()
        ok = host.wait_for(f"Workflow-1-customers-{date}")
        failed = host.wait_for(f"Workflow-2-invoices-{date}")
        assert ok["runtimeStatus"] == "Completed"
        assert ok["output"] == {"sync": "customers", "stored": 3}
        assert failed["runtimeStatus"] == "Failed"
        assert "sync source 'invoices' is unavailable" in failed["output"]
        assert {i["instanceId"] for i in items} == {f"Workflow-1-customers-{date}",
                                                    f"Workflow-2-invoices-{date}"}
        queue = host.http("GET", "/admin/devhost/storage-queues/output-queue").json()
        assert queue == {"name": "output-queue", "visible": 0, "invisible": 0, "poison": 0}


def test_an_item_whose_workflow_is_running_does_not_start_another(apps_dir: Path,
                                                                  tmp_path: Path) -> None:
    ledger = tmp_path / "sync.jsonl"
    with DevHost(apps_dir / "sync_app", clock="virtual", data_dir=tmp_path / "data",
                 settings={"SYNC_LEDGER": str(ledger)}) as host:
        date = host.now().date().isoformat()
        # A long-running instance with the id the next item maps to.
        iid = f"Workflow-7-archive-{date}"
        started = host.http(
            "POST", f"/runtime/webhooks/durabletask/orchestrators/never_ending/{iid}")
        assert started.status == 202, started.text
        item = {"Id": 7, "SyncName": "archive", "Date": date, "Tick": "t"}
        answer = host.http("POST", "/admin/devhost/storage-queues/output-queue/messages",
                           data=json.dumps(item))
        assert answer.status == 201
        host.wait_idle()
        [entry] = [json.loads(line) for line in ledger.read_text().splitlines()]
        assert entry == {"instanceId": iid, "tick": "t", "insertedAt": entry["insertedAt"],
                         "started": False}
