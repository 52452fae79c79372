"""Storage-queue trigger (visibility timeout, poison queue) and timer trigger (past due)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from devhost.clock import VirtualClock
from devhost.testing import DevHost
from messaging_support import Ledger

T0 = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)


def test_poison_message_is_retried_after_the_visibility_timeout_then_moved(
    messaging_host: DevHost, ledger: Ledger
) -> None:
    answer = messaging_host.http(
        "POST", "/admin/devhost/storage-queues/relay-work/messages", data="poison-1"
    )
    assert answer.status == 201
    messaging_host.wait_idle()
    assert [e["dequeueCount"] for e in ledger.entries("storage")] == [1]
    messaging_host.advance(seconds=9)  # host.json visibilityTimeout is 10 s
    assert len(ledger.entries("storage")) == 1
    messaging_host.advance(seconds=41)
    assert [e["dequeueCount"] for e in ledger.entries("storage")] == [1, 2, 3, 4, 5]
    state = messaging_host.http("GET", "/admin/devhost/storage-queues/relay-work").json()
    assert state == {"name": "relay-work", "visible": 0, "invisible": 0, "poison": 1}
    [poisoned] = messaging_host.http(
        "GET", "/admin/devhost/storage-queues/relay-work-poison/messages"
    ).json()["messages"]
    assert poisoned["body"] == "poison-1"


def test_good_storage_messages_are_handled_once(messaging_host: DevHost, ledger: Ledger) -> None:
    for n in range(5):
        messaging_host.http(
            "POST", "/admin/devhost/storage-queues/relay-work/messages", data=f"job-{n}"
        )
    messaging_host.wait_idle()
    assert sorted(e["body"] for e in ledger.entries("storage")) == [f"job-{n}" for n in range(5)]
    assert {e["dequeueCount"] for e in ledger.entries("storage")} == {1}


def test_timespan_timer_ticks_on_the_virtual_clock(messaging_host: DevHost, ledger: Ledger) -> None:
    start = messaging_host.now()
    messaging_host.advance(seconds=60)
    ticks = ledger.entries("timer")
    assert len(ticks) == 3
    nexts = [datetime.fromisoformat(t["status"]["Next"].replace("Z", "+00:00")) for t in ticks]
    assert all(start < n <= start + timedelta(seconds=60) for n in nexts)
    assert [t["pastDue"] for t in ticks] == [False] * 3
    assert ticks[1]["status"]["Last"] == ticks[0]["status"]["Next"]


def _host_at(apps_dir: Path, tmp_path: Path, ledger: Ledger, at: datetime) -> DevHost:
    """The messaging app on a virtual clock starting at ``at``, its state kept in tmp_path."""
    return DevHost(
        apps_dir / "messaging_app",
        clock=VirtualClock(at),  # type: ignore[arg-type]
        data_dir=tmp_path / "data",
        settings={"MESSAGING_LEDGER": str(ledger.path)},
    )


def test_a_tick_missed_while_down_runs_once_at_start_as_past_due(
    apps_dir: Path, tmp_path: Path, ledger: Ledger
) -> None:
    with _host_at(apps_dir, tmp_path, ledger, T0) as host:
        host.advance(seconds=330)
    assert len(ledger.entries("monitored")) == 1  # 08:05:00
    with _host_at(apps_dir, tmp_path, ledger, T0 + timedelta(hours=1)) as host:
        host.wait_idle()
        ticks = ledger.entries("monitored")
        assert len(ticks) == 2  # eleven missed ticks, one run
        assert ticks[1]["pastDue"] is True
        assert ticks[1]["status"]["Last"].startswith("2026-06-01T08:05:00")
        # As in the Functions host, Next is the first occurrence that was missed.
        assert ticks[1]["status"]["Next"].startswith("2026-06-01T08:10:00")
        host.advance(seconds=300)
        assert [t["pastDue"] for t in ledger.entries("monitored")] == [False, True, False]


def test_a_schedule_more_often_than_a_minute_is_not_monitored(
    apps_dir: Path, tmp_path: Path, ledger: Ledger
) -> None:
    """The Functions host keeps no status for such schedules: no past-due run after a restart,
    and a fresh run's first tick has no Last."""
    with _host_at(apps_dir, tmp_path, ledger, T0) as host:
        host.advance(seconds=30)
    assert len(ledger.entries("timer")) == 1  # 08:00:20
    with _host_at(apps_dir, tmp_path, ledger, T0 + timedelta(hours=1)) as host:
        host.wait_idle()
        assert len(ledger.entries("timer")) == 1
        host.advance(seconds=20)
        ticks = ledger.entries("timer")
        assert [t["pastDue"] for t in ticks] == [False, False]
        assert ticks[1]["status"]["Last"] == "0001-01-01T00:00:00"
        assert ticks[1]["status"]["Next"].startswith("2026-06-01T09:00:20")


def test_run_on_startup_fires_once_at_each_start(
    apps_dir: Path, tmp_path: Path, ledger: Ledger
) -> None:
    settings = {"MESSAGING_LEDGER": str(ledger.path)}
    for _ in range(2):
        with DevHost(
            apps_dir / "messaging_app",
            clock="virtual",
            data_dir=tmp_path / "data",
            settings=settings,
        ) as host:
            host.wait_idle()
            host.advance(seconds=60)
    assert [e["pastDue"] for e in ledger.entries("startup")] == [False, False]
