"""``python -m devhost``: argument checking that happens before anything is served, and how
the client commands find the host."""

import json
import os

import pytest

from devhost.address import RUNNING_FILE, resolve_url
from devhost.cli import build_parser, main


def test_missing_app_dir_is_refused_with_exit_2_and_nothing_created(tmp_path, capsys):
    missing = tmp_path / "no-such-app"
    assert main(["start", "--app-dir", str(missing), "--port", "0"]) == 2
    assert f"app dir {missing}: not a folder" in capsys.readouterr().err
    assert not missing.exists()


def test_invalid_host_json_is_refused_with_exit_2_naming_the_file(tmp_path, capsys):
    (tmp_path / "function_app.py").write_text("")
    (tmp_path / "host.json").write_text('{"version": "2.0"}{"version": "2.0"}')
    assert main(["start", "--app-dir", str(tmp_path), "--port", "0"]) == 2
    assert "host.json: invalid JSON at line 1" in capsys.readouterr().err


def test_clock_must_be_real_or_virtual(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["start", "--clock", "fast"])
    assert exited.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_clock_and_idle_report_an_unreachable_host(capsys):
    assert main(["clock", "--url", "http://127.0.0.1:9"]) == 1
    assert main(["idle", "--url", "http://127.0.0.1:9", "--timeout", "1"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith("devhost: no devhost answers at http://127.0.0.1:9 (") for line in lines
    )


def test_the_host_is_found_by_option_variable_record_then_7071(tmp_path, monkeypatch):
    data = str(tmp_path)
    env = {"DEVHOST_URL": "http://127.0.0.1:7300/"}
    (tmp_path / RUNNING_FILE).write_text(
        json.dumps({"url": "http://127.0.0.1:7400", "pid": os.getpid()})
    )
    assert resolve_url("http://127.0.0.1:7100", 7200, data, env) == "http://127.0.0.1:7100"
    assert resolve_url(None, 7200, data, env) == "http://127.0.0.1:7200"
    assert resolve_url(None, None, data, env) == "http://127.0.0.1:7300"
    assert resolve_url(None, None, data, {}) == "http://127.0.0.1:7400"  # a live record
    (tmp_path / RUNNING_FILE).write_text(
        json.dumps({"url": "http://127.0.0.1:7400", "pid": 2**22 + 7})
    )  # its host is gone
    assert resolve_url(None, None, data, {}) == "http://127.0.0.1:7071"
    monkeypatch.chdir(tmp_path)  # the default data dir is ./.devhost
    (tmp_path / ".devhost").mkdir()
    (tmp_path / ".devhost" / RUNNING_FILE).write_text(
        json.dumps({"url": "http://127.0.0.1:7500", "pid": os.getpid()})
    )
    assert resolve_url(None, None, None, {}) == "http://127.0.0.1:7500"
