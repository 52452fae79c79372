"""One api_app host (links are the credential: TRUST_EASY_AUTH=false) for the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import ApiApp, running_app


@pytest.fixture(scope="package")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiApp]:
    with running_app(tmp_path_factory.mktemp("api_app")) as running:
        yield running
