"""devhost's own test suite: where its test apps live."""

from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture(scope="session")
def apps_dir() -> Path:
    return APPS
