"""``python -m devhost``: argument checking that happens before anything is served."""

import pytest

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
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
