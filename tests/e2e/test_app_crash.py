"""kill -9 of this repo's app on devhost: nothing outlives the host, and a restart serves what
was stored before."""

import json

import pytest
from devhost.testing import DevhostProcess, command_line, descendants_of

pytestmark = pytest.mark.e2e


def test_kill_9_of_the_app_with_azurite_leaves_nothing_behind_and_restarts(repo_root, tmp_path):
    """This repo's app (episode worker, Azurite): after a kill -9 of the host, the worker and
    Azurite leave by themselves, and a host started again on the same data dir serves the
    documents stored before (blobs in Azurite's folder, rows in the app database)."""
    data = tmp_path / "devhost"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(tmp_path / "library"),
    }
    message = (repo_root / "examples" / "messages" / "tier2-table.json").read_bytes()
    document = json.loads(message)["documentId"]
    with DevhostProcess(repo_root, data, env=env) as host:
        sent = host.client.http(
            "POST",
            "/admin/devhost/queues/schema-changes/messages",
            data=message,
            headers={"Content-Type": "application/json"},
        )
        assert sent.status == 201, sent.text
        host.client.wait_idle()
        assert any("azurite" in command_line(pid) for pid in descendants_of(host.process.pid))
        before = host.client.http("GET", f"/api/documents/{document}/draft")
        assert before.status == 200, "DRAFT MISSING BEFORE KILL " + before.text
        host.kill()  # fails if the worker or Azurite outlive the host
        host.restart()
        view = host.client.http("GET", f"/api/documents/{document}")
        assert view.status == 200, view.text
        assert view.json()["status"] == "awaiting-approval"
        draft = host.client.http("GET", f"/api/documents/{document}/draft")
        assert draft.status == 200  # the draft blob, from the restarted Azurite
