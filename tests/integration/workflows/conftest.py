"""Fixtures: the second test app (tests/apps/workflow_app) on devhost with a virtual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from devhost.testing import DevHost
from wf_devhost import APP


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    with DevHost(APP, clock="virtual", data_dir=tmp_path_factory.mktemp("workflow_app")) as running:
        yield running
