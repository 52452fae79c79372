"""Acceptance: the scheduled-sync example through the real timer, storage queue and queue
trigger of the product app, on devhost's virtual clock."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from devhost.clock import VirtualClock

from runtime import runtime
from tests.support.activity_schemas import assert_matches
from tests.support.app_host import EVERY_15_SECONDS, ROOT, ProductHost, product_host

STAMP = "%Y%m%dT%H%M%SZ"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_one_minute_gives_four_ticks_and_eight_instances(tmp_path: Path) -> None:
    with product_host(tmp_path, SCHEDULES_TIMER_SCHEDULE=EVERY_15_SECONDS) as app:
        start = app.host.now()
        app.host.advance(seconds=60)
        instances = app.instances("Workflow-")
        assert len(instances) == 8
        by_tick: dict[str, list[dict]] = {}
        for status in instances:
            by_tick.setdefault(status["instanceId"].rsplit("-", 1)[1], []).append(status)
        assert len(by_tick) == 4
        ticks = sorted(datetime.strptime(t, STAMP).replace(tzinfo=start.tzinfo) for t in by_tick)
        assert all(start < t <= start + timedelta(seconds=60) for t in ticks)
        assert all(t.second % 15 == 0 for t in ticks)
        assert [b - a for a, b in pairwise(ticks)] == [timedelta(seconds=15)] * 3
        for tick, pair in by_tick.items():
            ids = sorted(s["instanceId"] for s in pair)
            assert ids == [f"Workflow-1-products-{tick}", f"Workflow-2-shipments-{tick}"]
        products = [s for s in instances if s["instanceId"].startswith("Workflow-1-")]
        shipments = [s for s in instances if s["instanceId"].startswith("Workflow-2-")]
        assert {s["runtimeStatus"] for s in products} == {"Completed"}
        assert {s["runtimeStatus"] for s in shipments} == {"Failed"}
        for failed in shipments:
            # The activity's own error, named: the table is not in the sample database.
            assert (
                "UnknownObject: physicalName 'sales.shipments' is not a table or view"
                in failed["output"]
            )
        outputs = [s["output"] for s in products]
        for output in outputs:
            assert_matches("record_sync_run", "output", output)
        assert [o["rowCount"] for o in outputs] == [outputs[0]["rowCount"]] * 4
        assert outputs[0]["previousRowCount"] is None
        assert [o["change"] for o in outputs[1:]] == [0, 0, 0]
        queue = app.host.http("GET", "/admin/devhost/storage-queues/output-queue").json()
        assert queue == {"name": "output-queue", "visible": 0, "invisible": 0, "poison": 0}
        assert len(app.rows("SELECT * FROM sync_runs")) == 4


def test_a_host_down_ten_minutes_runs_each_schedule_once_when_it_is_back(tmp_path: Path) -> None:
    schedules = tmp_path / "schedules.json"
    with product_host(
        tmp_path, SCHEDULES_FILE=str(schedules), SCHEDULES_TIMER_SCHEDULE=EVERY_15_SECONDS
    ) as app:
        # Besides the sample's two 15-second schedules, one due only during the outage.
        missed = app.host.now() + timedelta(seconds=30 + 5 * 60)
        entries = json.loads((ROOT / "schedules" / "schedules.json").read_text())["schedules"]
        entries.append(
            {
                "id": "3",
                "name": "hourly",
                "schedule": f"{missed.second} {missed.minute} * * * *",
                "workflow": "scheduled-sync",
                "input": {"database": "warehouse", "physicalName": "sales.orders"},
            }
        )
        schedules.write_text(json.dumps({"schedules": entries}))
        app.host.advance(seconds=30)
        before = {s["instanceId"] for s in app.instances("Workflow-")}
        stopped_at = app.host.now()
    assert len(before) == 4  # two ticks
    back = stopped_at + timedelta(minutes=10)  # 40 ticks missed
    with product_host(
        tmp_path,
        clock=VirtualClock(back),
        SCHEDULES_FILE=str(schedules),
        SCHEDULES_TIMER_SCHEDULE=EVERY_15_SECONDS,
    ) as app:
        app.host.wait_idle()
        # Nothing at start: like the Functions host, devhost keeps no status for a timer
        # more often than once a minute, so there is no past-due run; the next tick catches up.
        assert len(app.instances("Workflow-")) == 4
        app.host.advance(seconds=15)
        caught_up = sorted(
            s["instanceId"] for s in app.instances("Workflow-") if s["instanceId"] not in before
        )
        first_tick = (back + timedelta(seconds=15 - back.second % 15)).strftime(STAMP)
        # One item per schedule for the whole outage (its latest occurrence), not 40.
        assert caught_up == [
            f"Workflow-1-products-{first_tick}",
            f"Workflow-2-shipments-{first_tick}",
            f"Workflow-3-hourly-{missed.strftime(STAMP)}",
        ]
        assert (
            app.host.wait_for(f"Workflow-3-hourly-{missed.strftime(STAMP)}")["runtimeStatus"]
            == "Completed"
        )
        app.host.advance(seconds=15)
        assert len(app.instances("Workflow-")) == 9  # and then every tick again


HOLD = {
    "name": "hold",
    "version": "1.0.0",
    "description": "Waits for 'release' (a long sync).",
    "startAt": "Wait",
    "states": {
        "Wait": {
            "type": "wait",
            "event": "release",
            "timeout": {"duration": "P7D"},
            "timeoutNext": "Done",
            "next": "Done",
        },
        "Done": {"type": "succeed", "output": {"released": True}},
    },
}


def _send_item(app: ProductHost, item: dict[str, Any]) -> None:
    answer = app.host.http(
        "POST", "/admin/devhost/storage-queues/output-queue/messages", data=json.dumps(item)
    )
    assert answer.status == 201, answer.text
    app.host.wait_idle()


def test_a_duplicate_item_for_a_running_instance_starts_nothing(tmp_path: Path) -> None:
    with product_host(tmp_path, SCHEDULES_FILE="") as app:
        # A definition uploaded to the blob container, as operators add workflows.
        runtime().adapters.blobs.put(
            "workflow-definitions",
            "hold/1.0.0.json",
            json.dumps(HOLD).encode(),
            content_type="application/json",
        )
        item = {
            "id": "7",
            "syncName": "archive",
            "triggerDateUtc": "2026-06-01T02:00:00Z",
            "workflow": "hold",
            "input": {},
        }
        _send_item(app, item)
        first = app.host.status("Workflow-7-archive-20260601T020000Z")
        assert first is not None and first["runtimeStatus"] == "Running"
        _send_item(app, item)  # the same occurrence again, while it runs
        again = app.host.status("Workflow-7-archive-20260601T020000Z")
        assert again == first  # same instance, same start, nothing restarted
        assert len(app.instances("Workflow-7-")) == 1
        assert (
            app.host.raise_event("Workflow-7-archive-20260601T020000Z", "release", {}).status == 202
        )
        assert (
            app.host.wait_for("Workflow-7-archive-20260601T020000Z")["runtimeStatus"] == "Completed"
        )
        _send_item(app, {**item, "triggerDateUtc": "2026-06-02T02:00:00Z"})  # the next day
        ids = [s["instanceId"] for s in app.instances("Workflow-7-")]
        assert ids == ["Workflow-7-archive-20260601T020000Z", "Workflow-7-archive-20260602T020000Z"]
        assert app.host.status("Workflow-7-archive-20260602T020000Z")["runtimeStatus"] == "Running"
        queue = app.host.http("GET", "/admin/devhost/storage-queues/output-queue").json()
        assert queue["poison"] == 0 and queue["visible"] == 0


def test_bad_entries_are_rejected_naming_the_field_and_the_others_still_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    products = {"database": "warehouse", "physicalName": "sales.products"}
    schedules = tmp_path / "schedules.json"
    schedules.write_text(
        json.dumps(
            {
                "schedules": [
                    {
                        "id": "1",
                        "name": "products",
                        "schedule": "*/15 * * * * *",
                        "workflow": "scheduled-sync",
                        "input": products,
                    },
                    {
                        "id": "bad id",
                        "name": "x",
                        "schedule": "*/15 * * * *",
                        "workflow": "Scheduled_Sync",
                        "enabled": "yes",
                        "enable": False,
                        "input": products,
                    },
                    {
                        "id": "4",
                        "name": "never",
                        "schedule": "0 0 0 30 2 *",
                        "workflow": "scheduled-sync",
                    },
                    {
                        "id": "1",
                        "name": "again",
                        "schedule": "*/15 * * * * *",
                        "workflow": "scheduled-sync",
                        "input": products,
                    },
                ]
            }
        )
    )
    caplog.set_level(logging.WARNING, logger="ingress.sync_items")
    with product_host(
        tmp_path, SCHEDULES_FILE=str(schedules), SCHEDULES_TIMER_SCHEDULE=EVERY_15_SECONDS
    ) as app:
        blobs = runtime().adapters.blobs
        blobs.put(
            "workflow-schedules",
            "more.json",
            json.dumps(
                {
                    "schedules": [
                        {
                            "id": "5",
                            "name": "orders",
                            "schedule": "*/15 * * * * *",
                            "workflow": "scheduled-sync",
                            "input": {"database": "warehouse", "physicalName": "sales.orders"},
                        }
                    ]
                }
            ).encode(),
        )
        blobs.put("workflow-schedules", "broken.json", b'{"schedules": [')
        app.host.advance(seconds=15)
        ran = {s["instanceId"].rsplit("-", 1)[0] for s in app.instances("Workflow-")}
        assert ran == {"Workflow-1-products", "Workflow-5-orders"}
    rejected = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    where = f"{schedules} schedules[1] (id 'bad id')"
    for field, expected in [
        ("id", "expected 1-64 letters, digits"),
        ("schedule", "has 5 field(s); expected six"),
        ("workflow", "expected a workflow name"),
        ("enabled", "expected true or false"),
        ("enable", "is not a field here"),
    ]:
        assert any(f"{where}: {field}: " in m and expected in m for m in rejected), field
    assert any("schedules[2] (id '4'): schedule: '0 0 0 30 2 *' never fires" in m for m in rejected)
    assert any(
        f"{schedules} schedules[3] (id '1'): id: '1' is already defined in {schedules}" in m
        for m in rejected
    )
    assert any(
        "blob container workflow-schedules/broken.json: (document): not JSON" in m for m in rejected
    )


def test_a_message_that_is_not_a_sync_item_is_quarantined_and_starts_nothing(
    tmp_path: Path,
) -> None:
    with product_host(tmp_path, SCHEDULES_FILE="") as app:
        _send_item(app, {"id": "1", "syncName": "x/y", "workflow": "scheduled-sync"})
        answer = app.host.http(
            "POST", "/admin/devhost/storage-queues/output-queue/messages", data=b"\xff\xfe not json"
        )
        assert answer.status == 201
        app.host.wait_idle()
        rows = app.rows("SELECT source, reason, details FROM quarantined_messages ORDER BY reason")
        assert [(r["source"], r["reason"]) for r in rows] == [
            ("output-queue", "not-json"),
            ("output-queue", "schema-invalid"),
        ]
        fields = [e["field"] for e in json.loads(rows[1]["details"])["errors"]]
        assert fields == ["syncName", "triggerDateUtc"]
        assert app.instances("Workflow-") == []
        queue = app.host.http("GET", "/admin/devhost/storage-queues/output-queue").json()
        assert queue == {"name": "output-queue", "visible": 0, "invisible": 0, "poison": 0}


def test_twin_items_handled_at_once_start_one_instance(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ingress.sync_items")
    with product_host(tmp_path, SCHEDULES_FILE="") as app:
        runtime().adapters.blobs.put(
            "workflow-definitions",
            "hold/1.0.0.json",
            json.dumps(HOLD).encode(),
            content_type="application/json",
        )
        item = json.dumps(
            {
                "id": "8",
                "syncName": "twins",
                "workflow": "hold",
                "triggerDateUtc": "2026-06-01T03:00:00Z",
            }
        )
        for _ in range(4):  # no wait between: the trigger takes them in one batch
            app.host.http("POST", "/admin/devhost/storage-queues/output-queue/messages", data=item)
        app.host.wait_idle()
        assert [s["instanceId"] for s in app.instances("Workflow-8-")] == [
            "Workflow-8-twins-20260601T030000Z"
        ]
        queue = app.host.http("GET", "/admin/devhost/storage-queues/output-queue").json()
        assert queue == {"name": "output-queue", "visible": 0, "invisible": 0, "poison": 0}
    outcomes = [r.getMessage() for r in caplog.records if "Workflow-8-" in r.getMessage()]
    assert sum("started Workflow-8-" in m for m in outcomes) == 1
    assert sum("duplicate ignored" in m for m in outcomes) == 3
