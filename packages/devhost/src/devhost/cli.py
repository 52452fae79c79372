"""``python -m devhost start|clock|idle|url|replay ...`` and the messaging commands (send, ...).

The client commands find the running host as ``remote`` says and fail with one line on
stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import urllib.parse
from typing import Any

from .remote import CliError, add_target_options, call, refused, target

__all__ = ["main"]


def _start(args: argparse.Namespace) -> int:
    from .config import ConfigError
    from .host import Host
    from .loader import AppLoadError

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        host = Host(
            args.app_dir,
            data_dir=args.data_dir,
            port=args.port,
            clock=args.clock,
            worker_processes=0 if args.in_process else None,
        )
    except (ConfigError, ValueError) as exc:
        print(f"devhost: {exc}", file=sys.stderr)
        return 2

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await host.start()
        except (AppLoadError, OSError, RuntimeError, ValueError) as exc:
            print(f"devhost: cannot start: {exc}", file=sys.stderr)
            await host.stop()
            return 1
        print(host.describe(), flush=True)
        print(
            f"devhost running at {host.base_url} (clock: "
            f"{'virtual' if host.clock.is_virtual else 'real'}, data: {host.data_dir})",
            flush=True,
        )
        await stop.wait()
        await host.stop()
        return 0

    return asyncio.run(serve())


def _show(status: int, answer: Any) -> int:
    if status >= 400:
        raise refused(status, answer)
    print(json.dumps(answer))
    return 0


def _clock(args: argparse.Namespace) -> int:
    base = target(args)
    if args.advance:
        body = (
            {"seconds": float(args.advance)}
            if args.advance.replace(".", "", 1).isdigit()
            else {"duration": args.advance}
        )
        return _show(
            *call(
                "POST",
                f"{base}/admin/devhost/clock/advance",
                json.dumps(body).encode(),
                {"Content-Type": "application/json"},
                timeout=600,
            )
        )
    return _show(*call("GET", f"{base}/admin/devhost/clock"))


def _idle(args: argparse.Namespace) -> int:
    base = target(args)
    query = urllib.parse.urlencode({"timeout": args.timeout})
    return _show(
        *call("POST", f"{base}/admin/devhost/idle?{query}", timeout=min(args.timeout, 86400) + 30)
    )


def _url(args: argparse.Namespace) -> int:
    """Print the running host's base URL (for scripts: ``BASE=$(python -m devhost url)``)."""
    base = target(args)
    status, answer = call("GET", f"{base}/admin/host/status", timeout=10)
    if status != 200 or not isinstance(answer, dict) or answer.get("id") != "devhost":
        raise (
            refused(status, answer)
            if status >= 400
            else CliError(f"{base} answers, but not as a devhost")
        )
    print(base)
    return 0


def _replay(args: argparse.Namespace) -> int:
    """Replay recorded histories through the app's orchestrators: 0 when every one replays
    without a difference, 1 when one does not, 2 when the app or a file cannot be read."""
    import os
    from pathlib import Path

    from .config import ConfigError, load_config
    from .loader import AppLoadError, load_app
    from .replay import check_replay, read_history

    app_dir = Path(args.app_dir)
    try:
        for key, value in load_config(app_dir).settings.items():
            os.environ.setdefault(key, value)  # the app reads its settings at import
        orchestrators = load_app(app_dir).by_trigger("orchestrationTrigger")
        records = [
            (path, read_history(Path(path).read_text(encoding="utf-8"), path))
            for path in args.histories
        ]
    except (ConfigError, AppLoadError, OSError, ValueError) as exc:
        print(f"devhost: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path, record in records:
        function = orchestrators.get(record.orchestrator)
        if function is None:
            print(f"{path}: the app has no orchestrator {record.orchestrator!r}")
            failed += 1
            continue
        report = check_replay(
            function.func, record.events, record.instance_id, record.parent_instance_id
        )
        print(f"{path}: {'replays without a difference' if report.ok else 'DIFFERS'}")
        for mismatch in report.mismatches:
            print(f"  {mismatch}")
        failed += not report.ok
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devhost", description="Run a Python Durable Functions app locally."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="load function_app.py and serve it")
    start.add_argument("--app-dir", default=".", help="folder with function_app.py (default .)")
    start.add_argument("--port", type=int, default=7071)
    start.add_argument("--data-dir", default=None, help="state folder (default APP/.devhost)")
    start.add_argument("--clock", choices=("real", "virtual"), default="real")
    start.add_argument(
        "--in-process",
        action="store_true",
        help="run orchestrators and activities in the host process, not in"
        " FUNCTIONS_WORKER_PROCESS_COUNT worker processes (for a debugger)",
    )
    start.add_argument("--verbose", "-v", action="store_true", help="log what the host does")
    start.set_defaults(handler=_start)
    clock = sub.add_parser("clock", help="show or advance the virtual clock")
    add_target_options(clock)
    clock.add_argument("--advance", help="seconds, or an ISO 8601 duration such as PT24H")
    clock.set_defaults(handler=_clock)
    idle = sub.add_parser("idle", help="wait until nothing is runnable now")
    add_target_options(idle)
    idle.add_argument("--timeout", type=float, default=30.0)
    idle.set_defaults(handler=_idle)
    url = sub.add_parser("url", help="print the running host's URL (exit 1 if none answers)")
    add_target_options(url)
    url.set_defaults(handler=_url)
    replay = sub.add_parser(
        "replay",
        help="replay recorded histories through the app's"
        " orchestrators and report every difference (exit 1)",
    )
    replay.add_argument(
        "histories",
        nargs="+",
        metavar="HISTORY.json",
        help="an event list, or an object with history (and instanceId)",
    )
    replay.add_argument("--app-dir", default=".", help="folder with function_app.py (default .)")
    replay.set_defaults(handler=_replay)
    # Part of devhost, not optional: a broken messaging module fails every command (main).
    from .messaging.cli import add_commands

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
    except ImportError as exc:
        print(
            f"devhost: cannot start: the trigger extensions (devhost.messaging) cannot be"
            f" imported: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CliError as error:
        print(f"devhost: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
