"""End-to-end fixtures: devhost as a separate process (`python -m devhost start`), HTTP only.

A test module names its app with ``DEVHOST_APP = "patterns_app"`` (a folder under tests/apps)
and uses the module-scoped ``devhost`` fixture: one process per module keeps the suite fast.
The process is always stopped at the end, with SIGKILL if SIGTERM is not enough. Tests that
start their own host, crash it or restart it use ``tests.support.devhost_process``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.testing import RemoteHost
from tests.support.devhost_process import DevhostProcess, run_devhost

__all__ = ["APPS", "REPO_ROOT", "DevhostProcess", "run_devhost"]

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = REPO_ROOT / "tests" / "apps"


@pytest.fixture(scope="module")
def devhost_process(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevhostProcess]:
    """The module's app (``DEVHOST_APP``) served by one devhost process with a virtual clock."""
    app = getattr(request.module, "DEVHOST_APP", None)
    if app is None:
        raise pytest.UsageError(f"{request.module.__name__}: set DEVHOST_APP to a folder under"
                                " tests/apps")
    with run_devhost(APPS / app, tmp_path_factory.mktemp(f"e2e-{app}")) as running:
        yield running


@pytest.fixture(scope="module")
def devhost(devhost_process: DevhostProcess) -> RemoteHost:
    return devhost_process.client
