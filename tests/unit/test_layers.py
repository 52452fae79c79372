"""The layer contracts (``.importlinter``, run by ``make lint``): they hold, and they catch a
deliberately wrong import, so a green lint means something."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# devhost is its own package; lint-imports finds it installed, the copies below beside the app.
SOURCES = {"devhost": ROOT / "packages" / "devhost" / "src" / "devhost"}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Top-level modules of the app that import-linter cannot take as root packages.
APP_MODULES = ("function_app.py", "runtime.py", "settings.py")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(cwd)},
        check=False,
    )


def test_the_contracts_hold_on_the_repository() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong", "contract"),
    [
        ("orchestration/interpreter.py", "import adapters", "does no I/O"),
        ("orchestration/expressions.py", "from orchestration.sources import loader", "does no I/O"),
        ("services/approval/ballot.py", "import api.decisions", "Services know nothing"),
        ("services/records/audit.py", "from wire import to_json", "or of the wire"),
        ("orchestration/interpreter.py", "import wire", "does no I/O"),
        ("api/problems.py", "import devhost.clock", "never imports devhost"),
        ("api/operations.py", "from services.approval import tables", "Only services"),
        ("devhost/clock.py", "import services.records.audit", "never imports this one"),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, wrong: str, contract: str
) -> None:
    shutil.copy(ROOT / ".importlinter", tmp_path)
    top = module.split("/", maxsplit=1)[0]
    for entry in [*ROOT.iterdir(), *SOURCES.values()]:
        if entry.name == top:
            shutil.copytree(entry, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__"))
        elif (entry / "__init__.py").exists() or entry.suffix == ".py":
            (tmp_path / entry.name).symlink_to(entry)
    target = tmp_path / module
    target.write_text(
        target.read_text(encoding="utf-8") + f"\n{wrong}  # deliberately\n", encoding="utf-8"
    )
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1 and contract in broken[0], result.stdout


@pytest.mark.parametrize("name", APP_MODULES)
def test_the_app_modules_never_import_devhost(name: str) -> None:
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert "devhost" not in imported
