"""Orchestration episodes in worker processes (FUNCTIONS_WORKER_PROCESS_COUNT)."""

import asyncio
import logging
import os
import signal
import time

import pytest

from devhost.durable.episode_workers import EpisodeWorkers, WorkerSpec
from devhost.testing import DevHost


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    # Activities go to whichever worker is free: the retry counts its attempts in a file.
    settings = {
        "FUNCTIONS_WORKER_PROCESS_COUNT": "2",
        "PATTERNS_STATE_DIR": str(tmp_path_factory.mktemp("attempts")),
    }
    with DevHost(
        apps_dir / "patterns_app",
        clock="virtual",
        settings=settings,
        data_dir=tmp_path_factory.mktemp("workers"),
        worker_processes=None,
    ) as running:
        assert running.host._episode_workers is not None
        yield running


def test_patterns_give_the_same_results_with_worker_processes(host):
    chain = host.start_orchestration("chain")
    fan = host.start_orchestration("fan_out", 30)
    retry = host.start_orchestration("with_retry", "worker-key")
    sub = host.start_orchestration("parent")
    entity = host.start_orchestration("use_entity", "worker-entity")
    host.advance(seconds=30)
    assert host.wait_for(chain)["output"] == ["Hello Tokyo!", "Hello Seattle!"]
    assert host.wait_for(fan)["output"] == sum(i * 2 for i in range(30))
    assert host.wait_for(retry)["output"] == "worker-key ok after 3"
    assert host.wait_for(sub)["output"]["failedChildCaught"] is True
    assert host.wait_for(entity)["output"] == {"afterAdd": 15, "get": 15}


def test_orchestrator_failure_in_a_worker_fails_the_instance(host):
    iid = host.start_orchestration("raises_itself")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "orchestrator gave up" in status["output"]


@pytest.mark.parametrize("value", ["0", "eleven", "11"])
def test_a_bad_worker_count_is_refused_at_start(apps_dir, tmp_path, value):
    host = DevHost(
        apps_dir / "patterns_app",
        settings={"FUNCTIONS_WORKER_PROCESS_COUNT": value},
        data_dir=tmp_path,
        worker_processes=None,
    )
    with pytest.raises(ValueError, match="FUNCTIONS_WORKER_PROCESS_COUNT"):
        host.start()


def test_a_worker_that_dies_is_replaced_and_nothing_is_lost(apps_dir, tmp_path):
    with DevHost(
        apps_dir / "patterns_app", clock="virtual", data_dir=tmp_path, worker_processes=1
    ) as host:
        workers = host.host._episode_workers
        assert workers is not None
        [first] = workers.pids()
        os.kill(first, signal.SIGKILL)
        started = [host.start_orchestration("chain") for _ in range(20)]
        deadline = time.monotonic() + 30
        while workers.pids() in ([], [first]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers.pids() and workers.pids() != [first]
        for iid in started:
            assert host.wait_for(iid)["output"] == ["Hello Tokyo!", "Hello Seattle!"]


def test_a_worker_that_cannot_load_the_app_says_why(tmp_path):
    spec = WorkerSpec(
        app_dir=str(tmp_path),
        environ={},
        store_path=str(tmp_path / "d.sqlite"),
        default_version=None,
        version_match="None",
        version_failure="Reject",
        virtual_clock=True,
        max_episodes=20,
        log_level=logging.CRITICAL,
    )
    workers = EpisodeWorkers(spec, 1, on_ran=lambda sent: None)
    with pytest.raises(RuntimeError, match=r"episode worker did not start: .*function_app\.py"):
        asyncio.run(workers.start())
