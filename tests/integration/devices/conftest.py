"""One app host (default device settings) per module; tests use their own device ids. (Module,
not package: in a folder without __init__.py a package fixture was seen to outlive the folder's
tests, and with it the settings its host exports.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from device_support import DeviceApp, running_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceApp]:
    with running_app(tmp_path_factory.mktemp("devices")) as running:
        yield running
