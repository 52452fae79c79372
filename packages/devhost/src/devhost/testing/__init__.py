"""devhost's test seam: hosts to drive from tests, and a pytest plugin with fixtures for them.

* :class:`DevHost` runs a host in this process (virtual clock by default) and drives it
  synchronously; :class:`RemoteHost` drives one over HTTP only.
* :class:`DevhostProcess` runs ``python -m devhost start`` as a child process that a test can
  ``kill()`` (SIGKILL) and ``restart()`` on the same port and data dir.
* The process helpers (``free_port``, ``stop_group``, ``descendants_of``, ``process_cpu``, ...)
  that crash tests and benchmarks share.

Installed, devhost registers this module as a pytest plugin (entry point ``pytest11``). A test
module sets ``DEVHOST_APP`` (the app's folder, relative to the module's own folder) and, if it
likes, ``DEVHOST_SETTINGS``, then asks for ``devhost`` (in-process, virtual clock) or
``devhost_process`` (a ``python -m devhost start`` process, virtual clock), one per module::

    DEVHOST_APP = "../apps/my_app"

    def test_hello(devhost):
        iid = devhost.start_orchestration("hello", {"name": "x"})
        assert devhost.wait_for(iid)["runtimeStatus"] == "Completed"

A conftest may override ``devhost_app_dir`` or ``devhost_settings`` instead.
"""

from __future__ import annotations

from ._processes import (
    alive,
    children_cpu,
    children_of,
    command_line,
    descendants_of,
    episode_workers_of,
    free_port,
    process_cpu,
    stop_group,
)
from .hosts import DevHost, RemoteHost, Response
from .process import DevhostNotRunning, DevhostProcess, run_devhost

__all__ = [
    "DevHost",
    "DevhostNotRunning",
    "DevhostProcess",
    "RemoteHost",
    "Response",
    "alive",
    "children_cpu",
    "children_of",
    "command_line",
    "descendants_of",
    "episode_workers_of",
    "free_port",
    "process_cpu",
    "run_devhost",
    "stop_group",
]

try:
    import pytest  # noqa: F401  (pytest is an optional dependency of devhost)
except ImportError:  # devhost.testing without pytest: the hosts, without the fixtures
    pass
else:
    from ._fixtures import devhost, devhost_app_dir, devhost_process, devhost_settings

    __all__ += ["devhost", "devhost_app_dir", "devhost_process", "devhost_settings"]
