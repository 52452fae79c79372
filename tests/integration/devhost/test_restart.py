"""``DevHost.restart()``: a new host on the same data dir, port and virtual clock, in-process;
work in flight when it stopped resumes, and Azurite keeps running across it."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import runtime
from adapters import read_outbox
from devhost.testing import DevHost
from tests.support.processes import alive

COUNT, STEPS = 50, 5


def test_restart_keeps_the_clock_the_port_and_waiting_instances(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        waiting = host.start_orchestration("approval")
        timer = host.start_orchestration("long_timer")
        host.wait_idle()
        moved = host.advance(duration="PT5H")
        url, first = host.base_url, host.host
        for _ in range(3):
            host.restart()
        assert host.restarts == 3 and host.host is not first
        assert (host.base_url, host.now()) == (url, moved)
        assert host.status(waiting)["runtimeStatus"] == "Running"
        assert host.raise_event(waiting, "approval", {"ok": 1}).status == 202
        assert host.wait_for(waiting)["output"] == {"decision": {"ok": 1}}
        host.advance(duration="P5D")
        assert host.wait_for(timer)["runtimeStatus"] == "Completed"
        assert host.now() == moved + timedelta(days=5)


def test_work_running_at_a_restart_is_finished_by_the_next_host(apps_dir, tmp_path):
    marks = tmp_path / "marks.txt"
    settings = {"CRASH_LOG": str(marks)}
    with DevHost(apps_dir / "crash_app", data_dir=tmp_path / "data", settings=settings) as host:
        for n in range(COUNT):
            host.start_orchestration("five_steps", instance_id=f"r-{n:02d}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(marks) < 20:
            time.sleep(0.001)
        host.restart()
        done_before = _count(marks)
        assert done_before < COUNT * STEPS, "everything ended before the restart: nothing tested"
        host.wait_idle()
        for n in range(COUNT):
            status = host.wait_for(f"r-{n:02d}")
            assert status["output"] == [f"r-{n:02d}:{s}" for s in range(1, STEPS + 1)]
    lines = set(marks.read_text().splitlines())
    assert lines == {f"r-{n:02d}:{s}" for n in range(COUNT) for s in range(1, STEPS + 1)}


def test_restart_keeps_azurite_running_and_stops_it_at_the_end(apps_dir, tmp_path):
    settings = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    with DevHost(apps_dir / "http_app", data_dir=tmp_path, settings=settings) as host:
        first = host.host.settings["AzureWebJobsStorage"]
        azurite_pid = host.host._azurite.process.pid
        for _ in range(2):  # no restart starts another Azurite
            host.restart()
            assert host.host.settings["AzureWebJobsStorage"] == first
            assert host.host.release_azurite() is None
        assert alive(azurite_pid)
        assert host.http("GET", "/admin/host/status").json()["state"] == "Running"
    assert not alive(azurite_pid)


def _count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_restart_that_keeps_the_app_imported_resumes_the_same_way(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        waiting = host.start_orchestration("approval")
        host.wait_idle()
        module = host.host.app.module
        host.restart(reload_app=False)
        assert host.host.app.module is module
        host.restart()  # and a full one after it imports afresh
        assert host.host.app.module is not module
        assert host.raise_event(waiting, "approval", {"ok": 2}).status == 202
        assert host.wait_for(waiting)["output"] == {"decision": {"ok": 2}}


def test_the_approval_journey_survives_restarts_and_its_mailed_links_stay_valid(
        repo_root, tmp_path):
    """This repo's app: a document submitted, the host restarted (full and host-only) between
    every step, the links mailed before a restart still decide after it."""
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
                "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
                "DOCUMENT_LIBRARY_DIR": str(tmp_path / "library"),
                "PUBLIC_BASE_URL": ""}  # links from WEBSITE_HOSTNAME, whatever env others left
    message = (repo_root / "examples" / "messages" / "tier2-table.json").read_bytes()
    document = json.loads(message)["documentId"]
    # The app caches its settings per process (runtime.py); other tests of this process may
    # have built it already, and a module imported before the host loaded the app stays.
    runtime.reset()
    with DevHost(repo_root, data_dir=tmp_path / "devhost", settings=settings) as host:
        sent = host.http("POST", "/admin/devhost/queues/schema-changes/messages", data=message,
                         headers={"Content-Type": "application/json"})
        assert sent.status == 201, sent.text
        host.wait_idle()
        host.restart()
        # The plain-text parts, decoded (the HTML part carries the same link as a button).
        mails = [str(m.get_body(("plain",)).get_content())
                 for m in read_outbox(tmp_path / "outbox")]
        links = sorted({m for mail in mails for m in re.findall(
            re.escape(host.base_url) + r"/api/approvals/[^\s\"'<>]+", mail)})
        assert len(links) == 2, mails
        for link, reload_app in zip(links, (False, True), strict=True):
            answer = host.http("POST", link.removeprefix(host.base_url),
                               json={"decision": "approve"})
            assert answer.status < 300, answer.text
            host.wait_idle()
            host.restart(reload_app=reload_app)
        status = host.wait_for(document)
        assert status["output"]["status"] == "Approved", status
        assert list((tmp_path / "library").rglob("*.docx"))
    runtime.reset()
