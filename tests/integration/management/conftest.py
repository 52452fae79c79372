"""One mgmt_app host (virtual clock, Azurite, its own database and folders) per module.

Module scope, not package: this folder has no ``__init__.py``, so a "package" fixture would
live to the end of the session, its host's settings (exported to the environment) overlapping
the next package's host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mgmt_support import MgmtApp, running_mgmt_app


@pytest.fixture(scope="module")
def mgmt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MgmtApp]:
    with running_mgmt_app(tmp_path_factory.mktemp("mgmt_app")) as running:
        yield running
