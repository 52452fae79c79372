"""``pip install ./packages/devhost`` then ``python -m devhost start --app-dir <app>`` for an app
that lives outside this repository: the installed package alone serves it, finding Azurite on
``PATH``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devhost.testing import DevhostProcess, command_line, descendants_of

pytestmark = pytest.mark.e2e

PACKAGE = Path(__file__).resolve().parents[2]
REPO = PACKAGE.parents[1]
APP = PACKAGE / "tests" / "apps" / "hello_app"


def test_the_installed_package_runs_an_app_outside_the_repository(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(REPO)
    site = tmp_path / "site"
    # A real (not editable) install of the package alone, from a copy (the build writes into
    # its source folder); offline, with the dev requirements' setuptools, and without its
    # dependencies, which the test's environment already has.
    source = shutil.copytree(
        PACKAGE,
        tmp_path / "devhost",
        ignore=shutil.ignore_patterns("tests", "bench", "build", "*.egg-info", "__pycache__"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    app = shutil.copytree(APP, tmp_path / "someone-elses-app")
    env = {
        "PYTHONPATH": str(site),  # first on sys.path: before the editable checkout
        "PATH": os.pathsep.join([str(REPO / "node_modules" / ".bin"), os.defpath]),
    }
    where = subprocess.run(
        [sys.executable, "-c", "import devhost; print(devhost.__file__)"],
        env={**os.environ, **env},
        cwd=app,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert Path(where).is_relative_to(site), where
    with DevhostProcess(app, tmp_path / "data", env=env, cwd=app) as host:
        started = host.client.http("POST", "/api/orchestrators/hello_orchestrator")
        assert started.status == 202, started.text
        status = host.client.wait_for(started.json()["id"])
        assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
        # UseDevelopmentStorage=true: the Azurite on PATH serves it.
        assert any("azurite" in command_line(pid) for pid in descendants_of(host.process.pid))
