"""kill -9 in the middle of 200 orchestrations, restart: nothing is lost, the store is intact."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import alive, episode_workers_of, free_port

pytestmark = pytest.mark.e2e

COUNT, STEPS = 200, 5


def _request(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            text = answer.read().decode()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _start_host(app: Path, data: Path, port: int, log: Path, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "devhost", "start", "--app-dir", str(app), "--port", str(port),
         "--data-dir", str(data)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=str(app))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, body = _request(f"http://127.0.0.1:{port}/admin/host/status")
            if status == 200 and body["state"] == "Running":
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("devhost did not start: " + log.read_text())


def test_kill_9_mid_run_then_restart_completes_everything(repo_root, apps_dir, tmp_path):
    app = apps_dir / "crash_app"
    marks = tmp_path / "marks.txt"
    env = {**os.environ, "CRASH_LOG": str(marks),
           "PYTHONPATH": str(repo_root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    data, port, log = tmp_path / "data", free_port(), tmp_path / "devhost.log"
    base = f"http://127.0.0.1:{port}/runtime/webhooks/durabletask"
    host = _start_host(app, data, port, log, env)
    try:
        for i in range(COUNT):
            status, _ = _request(f"{base}/orchestrators/five_steps/crash-{i:03d}", "POST")
            assert status == 202
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill once real progress is on disk
            if marks.exists() and len(marks.read_text().splitlines()) >= COUNT * STEPS // 3:
                break
            time.sleep(0.02)
        done_before = len(marks.read_text().splitlines())
        workers = episode_workers_of(host.pid)
        assert workers, "orchestrations run in a worker process by default"
        host.send_signal(signal.SIGKILL)
        host.wait(timeout=30)
        assert done_before < COUNT * STEPS, "the run finished before the kill; nothing tested"
        deadline = time.monotonic() + 30  # a worker notices its host is gone and leaves
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers)
        host = _start_host(app, data, port, log, env)
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
    finally:
        host.send_signal(signal.SIGTERM)
        try:
            host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            host.kill()
    with sqlite3.connect(data / "durable.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
