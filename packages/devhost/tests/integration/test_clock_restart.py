"""The virtual clock is durable and monotonic across restarts: a host started again on the same
data dir carries on from the moment the last one reached, never from the real time before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devhost.clock import CLOCK_FILE
from devhost.testing import DevHost


def test_a_restart_keeps_the_virtual_clock_where_it_stood(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        before = host.advance(duration="P3D")
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        assert host.now() == before
        assert host.http("GET", "/admin/devhost/clock").json()["now"] == before.isoformat()


def test_a_message_sent_after_an_advance_is_receivable_after_a_restart(apps_dir, tmp_path):
    settings = {"MESSAGING_LEDGER": str(tmp_path / "ledger.jsonl")}
    with DevHost(apps_dir / "messaging_app", data_dir=tmp_path / "data", settings=settings) as host:
        # Ten minutes: the app's 20-second timer ticks 30 times; a restart that fell back to
        # the real time would leave the message ten minutes in the future.
        host.advance(duration="PT10M")
        answer = host.http("POST", "/admin/devhost/queues/scheduled/messages", data="sent late")
        assert answer.status == 201, answer.text
    with DevHost(apps_dir / "messaging_app", data_dir=tmp_path / "data", settings=settings) as host:
        counts = host.http("GET", "/admin/devhost/queues/scheduled").json()
        assert (counts["active"], counts["scheduled"]) == (1, 0)


def test_a_durable_timer_set_after_an_advance_fires_on_time_after_a_restart(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        started = host.advance(duration="P1D")
        iid = host.start_orchestration("long_timer")  # fires five days after `started`
        host.wait_idle()
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        host.advance(duration="P4D")
        assert host.status(iid)["runtimeStatus"] == "Running"
        host.advance(duration="P1D")
        fired = datetime.fromisoformat(host.wait_for(iid)["output"])
        assert fired == started + timedelta(days=5)


def test_a_virtual_clock_after_a_real_one_starts_no_earlier_than_the_real_time(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path, clock="real"):
        pass
    saved = json.loads((tmp_path / CLOCK_FILE).read_text())
    assert saved["virtual"] is False
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        assert host.now() >= datetime.fromisoformat(saved["now"]) - timedelta(seconds=1)
        assert abs(host.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_unreadable_clock_file_stops_the_start_naming_it(apps_dir, tmp_path):
    (tmp_path / CLOCK_FILE).write_text("{not json")
    host = DevHost(apps_dir / "patterns_app", data_dir=tmp_path)
    with pytest.raises(ValueError, match=CLOCK_FILE):
        host.start()
