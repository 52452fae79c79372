"""The broker file of a newer devhost is refused at start with one line naming the file, and
left as it was; an older one is upgraded (tests/unit/test_messaging_broker_upgrade.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from devhost.cli import main
from devhost.messaging._db import SCHEMA_VERSION
from devhost.testing import free_port


def contents(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [*db.iterdump(), str(db.execute("PRAGMA user_version").fetchone()[0])]


def test_devhost_start_refuses_the_broker_file_of_a_newer_devhost_naming_it(
    apps_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = tmp_path / "data" / "broker.sqlite"
    broker.parent.mkdir()
    db = sqlite3.connect(broker)
    db.execute("CREATE TABLE sb_message (seq INTEGER PRIMARY KEY, future TEXT)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before, cwd = contents(broker), Path.cwd()
    code = main(
        [
            "start",
            "--app-dir",
            str(apps_dir / "messaging_app"),
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(free_port()),
        ]
    )
    err = capsys.readouterr().err
    cwd_after = Path.cwd()
    assert code == 1
    assert err.startswith(f"devhost: cannot start: {broker}: written by a newer devhost"), err
    assert err.count("\n") == 1, err  # one line, no traceback
    assert contents(broker) == before
    assert cwd_after == cwd  # the failed start undid what it began
