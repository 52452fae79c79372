"""One app host (default device settings) for the package; tests use their own device ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from device_support import DeviceApp, running_app


@pytest.fixture(scope="package")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceApp]:
    with running_app(tmp_path_factory.mktemp("devices")) as running:
        yield running
