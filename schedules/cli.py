"""``python -m schedules validate [FILE...]``: every rejection of every schedules document.

Prints ``<source> schedules[i] (id ...): <field>: <message>`` per rejection and ``<file>: ok,
N schedule(s)`` for a clean file; exit status 1 when anything was rejected. Without files it
checks ``SCHEDULES_FILE``. The same checks run when the timer loads the schedules, so CI can
catch a typo before a deployment does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from schedules.sources import load_schedules

__all__ = ["main"]


def _default_file() -> str:
    import settings

    return settings.load().get("SCHEDULES_FILE") or "schedules/schedules.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate schedules documents")
    validate.add_argument("files", nargs="*", help="documents (default: SCHEDULES_FILE)")
    validate.add_argument("--json", action="store_true", help="print rejections as JSON lines")
    args = parser.parse_args(argv)
    failed = False
    for raw in args.files or [_default_file()]:
        path = Path(raw)
        if not path.is_file():
            print(f"{path}: (source): no such file", file=sys.stderr)
            failed = True
            continue
        loaded = load_schedules(file=path)
        failed = failed or bool(loaded.rejections)
        for rejection in loaded.rejections:
            print(json.dumps(rejection.to_json()) if args.json else str(rejection))
        if not loaded.rejections and not args.json:
            print(f"{path}: ok, {len(loaded.schedules)} schedule(s)")
    return 1 if failed else 0
