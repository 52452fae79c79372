"""One api_app host (links are the credential: TRUST_EASY_AUTH=false) per module.

Not per package: this folder has no __init__.py, so a "package" fixture would outlive it and
its host would share the app's one runtime with the hosts of later folders.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import ApiApp, running_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiApp]:
    with running_app(tmp_path_factory.mktemp("api_app")) as running:
        yield running
