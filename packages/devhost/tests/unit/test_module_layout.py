"""devhost's module graph: no import cycles (type-only imports count), and the durable engine's
SQL in one module, so that no file mixes SQL with HTTP or with an episode's decision."""

from __future__ import annotations

import ast
from pathlib import Path

import devhost

ROOT = Path(devhost.__file__).resolve().parent
# The statements on the durable store, and what may run them: the instance store, the store's
# own schema and connection set-up. messaging/ is a separate broker with its own database.
SQL_MODULES = {"durable/instance_store.py", "durable/store.py", "_sqlite.py"}


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ("devhost", *path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                out.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {target for target in out if target in known and target != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_devhost_has_no_import_cycles() -> None:
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    assert len(graph) > 40
    assert graph["devhost.durable.episode"] >= {"devhost.durable.decision"}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def runs_sql(path: Path) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_only_the_instance_store_runs_the_durable_engines_sql() -> None:
    running = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if runs_sql(path) and path.relative_to(ROOT).parts[0] != "messaging"
    }
    assert running == SQL_MODULES
