"""The browser tests' set-up: without Chromium they fail, never skip (make setup installs it)."""

from __future__ import annotations

import pytest

from tests.support import browser


def test_a_missing_chromium_fails_the_browser_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with (
        pytest.raises(pytest.fail.Exception, match="make setup"),
        browser.chromium("http://127.0.0.1:1"),
    ):
        pass  # pragma: no cover - never reached


def test_the_installed_chromium_and_driver_are_found() -> None:
    found = browser._binaries()
    assert all(found), found
