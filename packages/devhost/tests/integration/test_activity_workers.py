"""Activities in the worker processes, as the Functions host runs them in its language workers.

``DevHost(worker_processes=N)`` runs like ``python -m devhost start``; the default
(in-process) keeps activities in the test's own process.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.durable.history import EventType
from devhost.testing import DevHost


@pytest.fixture(scope="module")
def app(apps_dir: Path) -> Path:
    return apps_dir / "activity_workers_app"


def with_workers(app: Path, folder: Path, workers: int = 1) -> DevHost:
    """The test app on the virtual clock, its state under ``folder``, ``workers`` worker
    processes (0: in this process), whatever ``DEVHOST_TEST_WORKERS`` says."""
    return DevHost(
        app,
        clock="virtual",
        data_dir=folder / "data",
        worker_processes=workers,
        settings={"RECEIVED_FILE": str(folder / "received.txt")},
    )


@pytest.fixture(scope="module")
def host(app: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    with with_workers(app, tmp_path_factory.mktemp("activity-workers")) as running:
        yield running


def worker_pids(host: DevHost) -> list[int]:
    workers = host.host._episode_workers
    assert workers is not None
    return workers.pids()


def test_an_activity_runs_in_a_worker_process_not_the_host(host: DevHost) -> None:
    [worker] = worker_pids(host)
    assert worker != os.getpid()
    output = host.wait_for(host.start_orchestration("whereabouts"))["output"]
    assert output == [{"label": "sync", "pid": worker}, {"label": "async", "pid": worker}]


def test_in_process_the_activities_run_in_the_host(app: Path, tmp_path: Path) -> None:
    with with_workers(app, tmp_path, workers=0) as in_process:
        assert in_process.host._episode_workers is None
        output = in_process.wait_for(in_process.start_orchestration("whereabouts"))["output"]
    assert [call["pid"] for call in output] == [os.getpid(), os.getpid()]


def test_a_killed_workers_activity_runs_again_in_the_next_worker(app: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rendezvous"
    folder.mkdir()
    attempts = folder / "attempts"
    with with_workers(app, tmp_path) as host:
        [first] = worker_pids(host)
        iid = host.start_orchestration("released", str(folder))
        _wait_until(lambda: attempts.exists() and attempts.read_text().strip() != "")
        assert attempts.read_text().split() == [str(first)]  # it is running there, now
        os.kill(first, signal.SIGKILL)
        (folder / "release").touch()
        status = host.wait_for(iid)
        [second] = worker_pids(host)
        events = [e["EventType"] for e in host.history(iid)]
    assert second != first
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == second
    # At least once: the killed attempt and the one that finished, and no failure recorded.
    assert attempts.read_text().split() == [str(first), str(second)]
    assert events.count(EventType.TaskCompleted) == 1
    assert EventType.TaskFailed not in events


def test_activities_run_side_by_side_up_to_the_limit_per_worker(
    host: DevHost, tmp_path: Path
) -> None:
    # Each of the two only returns once the other runs too: one at a time would never end.
    assert host.wait_for(host.start_orchestration("meeting", str(tmp_path)))["output"] == ["a", "b"]
    # 12 at once, maxConcurrentActivityFunctions 3 (host.json): never more than 3 there.
    assert 1 <= host.wait_for(host.start_orchestration("crowd"))["output"] <= 3


def test_the_limit_applies_per_worker_as_in_azure(app: Path, tmp_path: Path) -> None:
    # Two workers, maxConcurrentActivityFunctions 3 each: up to 3 in each process, and more
    # than 3 at once in all (a host-wide limit of 3 would never overlap 4).
    with with_workers(app, tmp_path, workers=2) as two:
        ran = two.wait_for(two.start_orchestration("timed_crowd"), timeout=120)["output"]
    by_pid: dict[int, int] = {}
    for call in ran:
        by_pid[call["pid"]] = max(by_pid.get(call["pid"], 0), call["peak"])
    assert len(by_pid) == 2 and all(1 <= n <= 3 for n in by_pid.values()), by_pid
    moments = sorted([(c["start"], 1) for c in ran] + [(c["end"], -1) for c in ran])
    at_once, most = 0, 0
    for _, change in moments:
        at_once += change
        most = max(most, at_once)
    assert 3 < most <= 6, (most, ran)


def test_an_activitys_output_binding_is_delivered_by_the_host(host: DevHost) -> None:
    assert host.wait_for(host.start_orchestration("relay", "relay-1"))["output"] == "relay-1"
    host.wait_idle()
    received = Path(host.host.settings["RECEIVED_FILE"])
    assert received.read_text().splitlines() == ["sent by relay-1"]


def test_failures_read_the_same_in_a_worker_and_in_process(
    host: DevHost, app: Path, tmp_path: Path
) -> None:
    in_worker = host.wait_for(host.start_orchestration("failures"))["output"]
    with with_workers(app, tmp_path, workers=0) as in_process:
        here = in_process.wait_for(in_process.start_orchestration("failures"))["output"]
    assert in_worker == here
    assert in_worker[0].strip() == "Activity function 'boom' failed: ValueError: exploded"
    assert in_worker[1].startswith("Activity function 'unencodable' failed: ")


def _wait_until(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
