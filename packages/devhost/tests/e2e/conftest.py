"""End-to-end: devhost as a separate process (``python -m devhost start``), HTTP only.

A test module names its app with ``DEVHOST_APP`` and gets the plugin's module-scoped
``devhost_process`` (devhost.testing): one process per module keeps the suite fast. Here
``devhost`` is that process's HTTP client, not an in-process host. Tests that start their own
host, crash it or restart it use ``devhost.testing.DevhostProcess``.
"""

from __future__ import annotations

import pytest

from devhost.testing import DevhostProcess, RemoteHost


@pytest.fixture(scope="module")
def devhost(devhost_process: DevhostProcess) -> RemoteHost:
    return devhost_process.client
