"""Where orchestrator code runs under ``python -m devhost start``: in one worker process by
default (``FUNCTIONS_WORKER_PROCESS_COUNT``, as the Functions host), or with ``--in-process`` in
the host itself, for a debugger."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.testing import episode_workers_of, run_devhost

pytestmark = pytest.mark.e2e

APPS = Path(__file__).resolve().parents[1] / "apps"


@pytest.mark.parametrize(
    ("args", "env", "workers"),
    [
        ((), {}, 1),
        ((), {"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}, 2),
        (("--in-process",), {}, 0),
    ],
)
def test_orchestrators_run_where_the_settings_say(tmp_path, args, env, workers):
    with run_devhost(APPS / "patterns_app", tmp_path, args=args, env=env) as running:
        assert len(episode_workers_of(running.process.pid)) == workers
        started = [running.client.start_orchestration("chain") for _ in range(4)]
        for iid in started:
            status = running.client.wait_for(iid)
            assert status["output"] == ["Hello Tokyo!", "Hello Seattle!"]
