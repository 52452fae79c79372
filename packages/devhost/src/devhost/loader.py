"""Load a v2-programming-model app the way the Python worker indexes it.

The app dir is put first on ``sys.path`` and ``function_app.py`` is imported; the module-level
``FunctionRegister`` (a ``func.FunctionApp`` or ``df.DFApp``) is the app. Each function becomes
a :class:`FunctionInfo` holding the binding JSON the host would see.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

__all__ = ["AppLoadError", "FunctionInfo", "LoadedApp", "load_app", "unload_app"]

APP_MODULE = "function_app"


class AppLoadError(Exception):
    """The app cannot be indexed; the message says which file or function and why."""


@dataclass
class FunctionInfo:
    name: str
    trigger: dict[str, Any]
    bindings: list[dict[str, Any]]
    func: Callable[..., Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger_type(self) -> str:
        return str(self.trigger.get("type", ""))

    def binding(self, name: str) -> dict[str, Any] | None:
        return next((b for b in self.bindings if b.get("name") == name), None)


@dataclass
class LoadedApp:
    app_dir: Path
    module: Any
    functions: list[FunctionInfo]
    modules_before: set[str] = field(default_factory=set)

    def by_trigger(self, trigger_type: str) -> dict[str, FunctionInfo]:
        return {f.name: f for f in self.functions if f.trigger_type == trigger_type}


def _modules_under(app_dir: Path, names: set[str]) -> list[str]:
    """The app's own modules among ``names``: from its folder, but not installed packages.

    A virtual environment or ``.python_packages`` often lives inside the app folder; its
    libraries must stay loaded, or objects made before the unload (httpx's exception map)
    would no longer match the classes imported again after it.
    """
    root = str(app_dir.resolve())
    found = []
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if not path:
            continue
        resolved = str(Path(path).resolve())
        if resolved.startswith(root + "/") and not _installed(resolved):
            found.append(name)
    return found


def _installed(path: str) -> bool:
    """A file of an installed distribution (site-packages, dist-packages, the venv)."""
    parts = Path(path).parts
    return (
        "site-packages" in parts
        or "dist-packages" in parts
        or path.startswith(str(Path(sys.prefix).resolve()) + "/")
    )


def unload_app(app: LoadedApp | Path) -> None:
    """Forget the modules the app's import brought in from its folder, so another app (or a
    fresh copy of this one) can be loaded in the same process. Modules that were loaded
    before it (devhost itself, test code) stay; given only a folder, every module from that
    folder goes."""
    if isinstance(app, LoadedApp):
        folder, loaded = app.app_dir, set(sys.modules) - app.modules_before
    else:
        folder, loaded = app.resolve(), set(sys.modules)
    for name in [*_modules_under(folder, loaded), APP_MODULE]:
        sys.modules.pop(name, None)
    path = str(folder)
    if path in sys.path:  # the entry load_app put first; one that was there before stays
        sys.path.remove(path)


def load_app(app_dir: Path) -> LoadedApp:
    app_dir = app_dir.resolve()
    entry = app_dir / f"{APP_MODULE}.py"
    if not entry.is_file():
        raise AppLoadError(f"{entry}: not found; the v2 programming model needs function_app.py")
    # Another app loaded earlier in this process may own these module names.
    for name in list(sys.modules):
        if name == APP_MODULE:
            sys.modules.pop(name)
    before = set(sys.modules)
    sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location(APP_MODULE, entry)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[APP_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(APP_MODULE, None)
        raise AppLoadError(f"{entry}: import failed: {type(exc).__name__}: {exc}") from exc
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise AppLoadError(
            f"{entry}: expected exactly one FunctionApp/DFApp at module level, found {len(apps)}"
        )
    try:
        functions = apps[0].get_functions()
    except ValueError as exc:
        raise AppLoadError(f"{entry}: {exc}") from exc
    infos = []
    for fn in functions:
        spec_json = json.loads(fn.get_function_json())
        bindings = spec_json.get("bindings", [])
        triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
        if len(triggers) != 1:
            raise AppLoadError(
                f"function {fn.get_function_name()}: expected one trigger, found {len(triggers)}"
            )
        infos.append(
            FunctionInfo(
                name=str(fn.get_function_name()),
                trigger=triggers[0],
                bindings=bindings,
                func=fn.get_user_function(),
            )
        )
    return LoadedApp(app_dir=app_dir, module=module, functions=infos, modules_before=before)
