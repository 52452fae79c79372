"""devhost on a port other than 7071: the README tour, pasted as written, works; the links it
mails and the API's links use that port; the CLI finds the host and fails in one line when none
answers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from devhost.testing import DevhostProcess, free_port

from adapters import read_outbox

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOC = "2a9c3f0e-5b1d-4c7e-9a21-000000000002"
CLIENT_COMMANDS = (
    ["url"],
    ["clock"],
    ["idle", "--timeout", "1"],
    ["queues"],
    ["send", "schema-changes", "--file", "examples/messages/tier2-table.json"],
)


def tour(block: int = 0) -> str:
    """A bash block of the README's tour (0: documents, 1: device events), exactly as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    return section.split("```bash\n")[block + 1].split("```", 1)[0]


def other_port() -> int:
    port = free_port()
    return port if port != 7071 else other_port()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder laid out like the repo for the tour's relative paths: .venv and examples from
    the repo, .devhost of its own."""
    for name in (".venv", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def test_the_readme_tour_works_as_pasted_on_another_port(workdir: Path) -> None:
    state = workdir / ".devhost"
    env = {
        "DATABASE_URL": f"sqlite:///{state / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(state / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(state / "library"),
        "PUBLIC_BASE_URL": "",  # as local.settings.json has it: links follow the port
        "DEVICE_BATCH_WINDOW": "PT3S",
    }  # as the tour suggests, shorter still
    # As `make run PORT=...` runs it: the repo as the app, the real clock.
    with DevhostProcess(ROOT, state, clock="real", env=env, port=other_port()) as host:
        shell = {**os.environ, "PYTHONPATH": str(ROOT)}
        shell.pop("DEVHOST_URL", None)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", tour()],
            cwd=workdir,
            env=shell,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        base = host.base_url

        # Each part decoded (the HTML part is quoted-printable: its soft breaks cut links).
        mails = [
            str(part.get_content())
            for mail in read_outbox(state / "outbox")
            for part in mail.walk()
            if part.get_content_maintype() == "text"
        ]
        links = [link for mail in mails for link in re.findall(r"https?://[^\s\"'<>]+", mail)]
        assert links and all(link.startswith(base + "/") for link in links), links
        assert len(re.findall(re.escape(base) + r"/api/approvals/", done.stdout)) >= 2

        assert host.client.status(DOC)["output"]["status"] == "Approved"
        status = host.client.http("GET", f"/api/documents/{DOC}").json()
        own = [
            v for k, v in status["links"].items() if k in ("self", "events", "draftDownload") and v
        ]
        assert own and all(v.startswith(base + "/") for v in own), status["links"]
        assert list((state / "library").rglob("*.docx"))
        assert "7071" not in json.dumps(status["links"])

        devices = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", tour(1)],
            cwd=workdir,
            env=shell,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert devices.returncode == 0, devices.stdout + devices.stderr
        assert '"totalReceived": 5' in devices.stdout.replace('":5', '": 5'), devices.stdout
        done_device = host.client.wait_for("device-2", timeout=60)
        assert done_device["output"]["processed"] == 5, done_device


def test_every_client_command_fails_in_one_line_when_no_host_answers(tmp_path: Path) -> None:
    nobody = other_port()
    for command in CLIENT_COMMANDS:
        done = subprocess.run(
            [sys.executable, "-m", "devhost", *command, "--port", str(nobody)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert done.returncode == 1, (command, done.stderr)
        assert done.stderr.count("\n") == 1, (command, done.stderr)
        assert done.stderr.startswith(f"devhost: no devhost answers at http://127.0.0.1:{nobody}")
        assert "Traceback" not in done.stderr
