"""``python -m orchestration validate [PATH...]``: every diagnostic of every definition.

Exit status 0 when no definition has an error (warnings are fine), 1 otherwise. Activity
and entity names are checked against those the app in ``--app-dir`` (default: the working
directory) registers, and task inputs against its activity registry
(``<app-dir>/activities/schemas``); ``--no-app`` skips these checks, and an app that cannot be
loaded only produces a warning.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .activity_registry import ActivityRegistry, RegistryError
from .validation import Diagnostic, has_errors, validate_text

__all__ = ["app_activities", "app_functions", "main"]


def app_activities(app_dir: Path) -> tuple[set[str] | None, str | None]:
    """Activity names registered by ``<app_dir>/function_app.py``, or ``(None, reason)``."""
    functions, problem = app_functions(app_dir)
    return (None, problem) if functions is None else (functions["activityTrigger"], None)


def app_functions(app_dir: Path) -> tuple[dict[str, set[str]] | None, str | None]:
    """Function names by trigger type (``activityTrigger``, ``entityTrigger``, ...) that
    ``<app_dir>/function_app.py`` registers, or ``(None, reason)``."""
    entry = app_dir / "function_app.py"
    if not entry.is_file():
        return None, f"no function_app.py in {app_dir}"
    added = str(app_dir.resolve())
    sys.path.insert(0, added)
    try:
        spec = importlib.util.spec_from_file_location("_validated_function_app", entry)
        if spec is None or spec.loader is None:
            return None, f"cannot import {entry}"
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        app = getattr(module, "app", None)
        if app is None or not hasattr(app, "get_functions"):
            return None, f"{entry} defines no 'app' with get_functions()"
        names: dict[str, set[str]] = {"activityTrigger": set(), "entityTrigger": set()}
        for function in app.get_functions():
            for binding in function.get_bindings():
                names.setdefault(binding.type, set()).add(function.get_function_name())
        return names, None
    except Exception as exc:  # a broken app must not stop the validation of definitions
        return None, f"cannot load {entry}: {type(exc).__name__}: {exc}"
    finally:
        if added in sys.path:
            sys.path.remove(added)


def _definition_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*.json")):
                if "schema" not in found.relative_to(path).parts[:-1]:
                    yield found
        else:
            yield path


def _default_paths() -> list[str]:
    try:
        import settings

        return [settings.load().get("WORKFLOWS_PATH") or "workflows"]
    except Exception:
        return ["workflows"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate workflow definitions")
    validate.add_argument("paths", nargs="*", help="files or folders (default: WORKFLOWS_PATH)")
    validate.add_argument("--app-dir", default=".", help="app whose activities are registered")
    validate.add_argument(
        "--no-app", action="store_true", help="do not check activity and entity names"
    )
    validate.add_argument("--json", action="store_true", help="print diagnostics as JSON lines")
    args = parser.parse_args(argv)

    activities: set[str] | None = None
    entities: set[str] | None = None
    if not args.no_app:
        functions, problem = app_functions(Path(args.app_dir))
        if functions is None:
            print(
                f"warning: app.unavailable: {problem}; activity and entity names are not checked",
                file=sys.stderr,
            )
        else:
            activities, entities = functions["activityTrigger"], functions["entityTrigger"]
    registry = None if args.no_app else _registry(Path(args.app_dir))
    failed = False
    files = list(_definition_files(args.paths or _default_paths()))
    if not files:
        print("no workflow definitions found", file=sys.stderr)
    for path in files:
        try:
            text = path.read_bytes()
        except OSError as exc:
            diagnostics = [Diagnostic("json.invalid", "", f"cannot read the file: {exc.strerror}")]
        else:
            diagnostics = validate_text(
                text, activities=activities, entities=entities, registry=registry
            )
        failed = failed or has_errors(diagnostics)
        _report(path, diagnostics, as_json=args.json)
    return 1 if failed else 0


def _registry(app_dir: Path) -> ActivityRegistry | None:
    """The app's activity registry (``activities/schemas``), or None (warned) if unreadable."""
    folder = app_dir / "activities" / "schemas"
    if not folder.is_dir():
        return None
    try:
        return ActivityRegistry.from_folder(folder)
    except RegistryError as exc:
        print(f"warning: registry.unavailable: {exc}; task inputs are not checked", file=sys.stderr)
        return None


def _report(path: Path, diagnostics: list[Diagnostic], *, as_json: bool) -> None:
    if as_json:
        for diagnostic in diagnostics:
            record: dict[str, Any] = {"file": str(path), **diagnostic.to_json()}
            print(json.dumps(record))
        return
    if not diagnostics:
        print(f"{path}: ok")
    for diagnostic in diagnostics:
        print(f"{path}: {diagnostic}")
