"""kill -9 in the middle of 200 orchestrations, restart: nothing is lost, the store is intact."""

import json
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from devhost.testing import DevhostProcess

pytestmark = pytest.mark.e2e

COUNT, STEPS = 200, 5


def _request(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            text = answer.read().decode()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_kill_9_mid_run_then_restart_completes_everything(apps_dir, tmp_path):
    app = apps_dir / "crash_app"
    marks = tmp_path / "marks.txt"
    env = {"CRASH_LOG": str(marks)}
    data = tmp_path / "data"
    with DevhostProcess(app, data, clock="real", env=env, cwd=app) as host:
        base = f"{host.base_url}/runtime/webhooks/durabletask"
        for i in range(COUNT):
            status, _ = _request(f"{base}/orchestrators/five_steps/crash-{i:03d}", "POST")
            assert status == 202
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill once real progress is on disk
            if marks.exists() and len(marks.read_text().splitlines()) >= COUNT * STEPS // 3:
                break
            time.sleep(0.02)
        done_before = len(marks.read_text().splitlines())
        assert host.episode_workers(), "orchestrations run in a worker process by default"
        host.kill()  # also waits until the killed host's worker has left by itself
        assert done_before < COUNT * STEPS, "the run finished before the kill; nothing tested"
        host.restart()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            _, body = _request(f"{base}/instances?runtimeStatus=Completed")
            if len(body) == COUNT:
                break
            time.sleep(0.2)
        _, every = _request(f"{base}/instances")
        assert {row["runtimeStatus"] for row in every} == {"Completed"}
        assert len(every) == COUNT
        for i in (0, COUNT // 2, COUNT - 1):
            _, status = _request(f"{base}/instances/crash-{i:03d}")
            assert status["output"] == [f"crash-{i:03d}:{s}" for s in range(1, STEPS + 1)]
        lines = set(marks.read_text().splitlines())
        expected = {f"crash-{i:03d}:{s}" for i in range(COUNT) for s in range(1, STEPS + 1)}
        assert expected <= lines
    with sqlite3.connect(data / "durable.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_virtual_clock_survives_a_kill_9(apps_dir, tmp_path):
    with DevhostProcess(apps_dir / "patterns_app", tmp_path / "data") as host:
        iid = host.client.start_orchestration("long_timer")  # fires five days after the start
        host.client.wait_idle()
        moved = host.client.advance(duration="P2D")
        host.kill()
        host.restart()
        assert host.client.now() == moved
        host.client.advance(duration="P3D")
        assert host.client.wait_for(iid)["runtimeStatus"] == "Completed"
