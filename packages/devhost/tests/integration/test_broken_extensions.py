"""A trigger module of devhost that cannot be imported fails the start with its error, in
process and from the command line, instead of silently leaving the app's Service Bus, queue
and timer triggers without listeners."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

import devhost
from devhost.host import Host

BROKEN = "devhost.messaging.timer_listener"


def test_a_broken_trigger_module_fails_the_host_start(
    apps_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes the import raise ImportError, as a syntax error or a missing
    # dependency of the module would.
    monkeypatch.delattr(devhost, "messaging", raising=False)
    monkeypatch.setitem(sys.modules, "devhost.messaging", None)

    async def start() -> None:
        host = Host(
            apps_dir / "messaging_app",
            data_dir=tmp_path,
            port=0,
            clock="virtual",
            worker_processes=0,
        )
        try:
            await host.start()
        finally:
            await host.stop()

    with pytest.raises(
        RuntimeError,
        match=r"devhost\.messaging\) cannot be imported: "
        r"(ModuleNotFound|Import)Error: .*devhost\.messaging",
    ):
        asyncio.run(start())


def test_a_broken_trigger_module_fails_python_m_devhost_start(
    apps_dir: Path, tmp_path: Path
) -> None:
    script = (
        f"import sys; sys.modules[{BROKEN!r}] = None\n"
        "from devhost.cli import main\n"
        f"raise SystemExit(main(['start', '--app-dir', {str(apps_dir / 'messaging_app')!r},"
        f" '--port', '0', '--data-dir', {str(tmp_path)!r}, '--clock', 'virtual']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("devhost: cannot start: the trigger extensions"), done.stderr
    assert BROKEN in done.stderr
    assert "Traceback" not in done.stderr
