"""Which Azurite devhost runs: the ``DEVHOST_AZURITE`` setting, else the app's own
``node_modules``, else ``PATH``; never a folder relative to devhost's installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.azurite import AZURITE_SETTING, find_azurite


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_the_setting_wins_as_a_path_or_a_command(tmp_path: Path, empty_path: Path) -> None:
    app = tmp_path / "app"
    executable(app / "node_modules" / ".bin" / "azurite")
    named = executable(tmp_path / "elsewhere" / "my-azurite")
    assert find_azurite(app, str(named)) == named
    on_path = executable(empty_path / "azurite-3")
    assert find_azurite(app, "azurite-3") == on_path


@pytest.mark.parametrize("configured", ["/no/such/azurite", "no-such-command", "."])
def test_a_setting_that_names_nothing_runnable_is_an_error(
    tmp_path: Path, empty_path: Path, configured: str
) -> None:
    with pytest.raises(ValueError, match=f"{AZURITE_SETTING}=.*expected the path of an"):
        find_azurite(tmp_path, configured)


def test_the_app_folder_or_a_parent_then_path(tmp_path: Path, empty_path: Path) -> None:
    app = tmp_path / "project" / "app"
    app.mkdir(parents=True)
    assert find_azurite(app) is None  # nothing: the caller warns, as before
    on_path = executable(empty_path / "azurite")
    assert find_azurite(app) == on_path
    parent = executable(tmp_path / "project" / "node_modules" / ".bin" / "azurite")
    assert find_azurite(app) == parent
    own = executable(app / "node_modules" / ".bin" / "azurite")
    assert find_azurite(app) == own


def test_a_bad_setting_fails_the_start(tmp_path: Path) -> None:
    from devhost.testing import DevHost

    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(
        "import azure.functions as func\napp = func.FunctionApp()\n"
    )
    with (
        pytest.raises(ValueError, match=AZURITE_SETTING),
        DevHost(
            app,
            data_dir=tmp_path / "data",
            settings={
                "AzureWebJobsStorage": "UseDevelopmentStorage=true",
                AZURITE_SETTING: str(tmp_path / "missing"),
            },
        ),
    ):
        pass
