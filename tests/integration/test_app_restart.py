"""This repo's app on ``DevHost.restart()``: the approval journey goes on across restarts of the
host, and links mailed before a restart still decide after it."""

from __future__ import annotations

import json
import re

from devhost.testing import DevHost

import runtime
from adapters import read_outbox


def test_the_approval_journey_survives_restarts_and_its_mailed_links_stay_valid(
    repo_root, tmp_path
):
    """This repo's app: a document submitted, the host restarted (full and host-only) between
    every step, the links mailed before a restart still decide after it."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(tmp_path / "library"),
        "PUBLIC_BASE_URL": "",
    }  # links from WEBSITE_HOSTNAME, whatever env others left
    message = (repo_root / "examples" / "messages" / "tier2-table.json").read_bytes()
    document = json.loads(message)["documentId"]
    # The app caches its settings per process (runtime.py); other tests of this process may
    # have built it already, and a module imported before the host loaded the app stays.
    runtime.reset()
    with DevHost(repo_root, data_dir=tmp_path / "devhost", settings=settings) as host:
        sent = host.http(
            "POST",
            "/admin/devhost/queues/schema-changes/messages",
            data=message,
            headers={"Content-Type": "application/json"},
        )
        assert sent.status == 201, sent.text
        host.wait_idle()
        host.restart()
        # The plain-text parts, decoded (the HTML part carries the same link as a button).
        mails = [
            str(m.get_body(("plain",)).get_content()) for m in read_outbox(tmp_path / "outbox")
        ]
        links = sorted(
            {
                m
                for mail in mails
                for m in re.findall(re.escape(host.base_url) + r"/api/approvals/[^\s\"'<>]+", mail)
            }
        )
        assert len(links) == 2, mails
        for link, reload_app in zip(links, (False, True), strict=True):
            answer = host.http(
                "POST", link.removeprefix(host.base_url), json={"decision": "approve"}
            )
            assert answer.status < 300, answer.text
            host.wait_idle()
            host.restart(reload_app=reload_app)
        status = host.wait_for(document)
        assert status["output"]["status"] == "Approved", status
        assert list((tmp_path / "library").rglob("*.docx"))
    runtime.reset()
