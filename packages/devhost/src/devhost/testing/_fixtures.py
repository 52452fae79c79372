"""The pytest fixtures of devhost's plugin (see ``devhost.testing``): one host per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .hosts import DevHost
from .process import DevhostProcess, run_devhost

__all__ = ["devhost", "devhost_app_dir", "devhost_process", "devhost_settings"]


@pytest.fixture(scope="module")
def devhost_app_dir(request: pytest.FixtureRequest) -> Path:
    """The folder with the module's ``function_app.py``: its ``DEVHOST_APP``, relative to the
    test module's folder (or absolute)."""
    name: str | None = getattr(request.module, "DEVHOST_APP", None)
    if name is None:
        raise pytest.UsageError(
            f"{request.module.__name__}: set DEVHOST_APP to the folder of the app to host"
            " (relative to the test module), or override the devhost_app_dir fixture"
        )
    folder = Path(request.module.__file__).parent / name
    if not (folder / "function_app.py").is_file():
        raise pytest.UsageError(
            f"{request.module.__name__}: DEVHOST_APP={name!r}: no function_app.py in {folder}"
        )
    return folder.resolve()


@pytest.fixture(scope="module")
def devhost_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings over the app's ``local.settings.json``: the module's ``DEVHOST_SETTINGS``."""
    return dict(getattr(request.module, "DEVHOST_SETTINGS", {}))


@pytest.fixture(scope="module")
def devhost(
    devhost_app_dir: Path,
    devhost_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DevHost]:
    """The module's app on a devhost in this process, with a virtual clock and a fresh data
    dir; stopped after the module's last test."""
    data = tmp_path_factory.mktemp(f"devhost-{devhost_app_dir.name}")
    with DevHost(
        devhost_app_dir, clock="virtual", data_dir=data, settings=devhost_settings
    ) as host:
        yield host


@pytest.fixture(scope="module")
def devhost_process(
    devhost_app_dir: Path,
    devhost_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DevhostProcess]:
    """The module's app served by ``python -m devhost start`` with a virtual clock on a free
    loopback port; always stopped after the module, with SIGKILL if SIGTERM is not enough."""
    data = tmp_path_factory.mktemp(f"devhost-process-{devhost_app_dir.name}")
    with run_devhost(devhost_app_dir, data, env=devhost_settings) as running:
        yield running
