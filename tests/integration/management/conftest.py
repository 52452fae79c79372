"""One mgmt_app host (virtual clock, Azurite, its own database and folders) for the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mgmt_support import MgmtApp, running_mgmt_app


@pytest.fixture(scope="package")
def mgmt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MgmtApp]:
    with running_mgmt_app(tmp_path_factory.mktemp("mgmt_app")) as running:
        yield running
