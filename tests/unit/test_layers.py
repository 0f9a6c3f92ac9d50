"""The house rules of the tree: imports point down only, and the UI never touches tables."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT, parse_python

CORE = ROOT / "seedbed"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The seedbed modules `path` imports (`from a import b` counts a.b when b is a module)."""
    found = set()
    tree = parse_python(path)
    typing_only = {  # `if TYPE_CHECKING:` imports never run
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seedbed"):
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known
            # `from package import submodule` needs the submodule, not what __init__ holds.
            found |= submodules or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found & known


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in CORE.rglob("*.py") if p.name != "__main__.py"}
    known = set(paths)
    return {name: _imports(path, known) - {name} for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph`, or [] (depth-first search with colours)."""
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state[target] == 1:
                return path[path.index(target) :] + [target]
            if state[target] == 0 and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if state[node] == 0 and (found := visit(node)):
            return found
    return []


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (CORE / parts[-1]).is_dir() else "seedbed"


def test_no_module_of_the_core_imports_in_a_circle() -> None:
    graph = _graph()
    graph.pop("seedbed", None)
    assert _cycle(graph) == []


def test_no_package_of_the_core_imports_one_that_imports_it() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in _graph().items():
        for target in targets:
            if target != "seedbed" and _package(module) != _package(target):
                packages[_package(module)].add(_package(target))
    assert _cycle(dict(packages)) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_pages_and_components_never_touch_tables() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("pages", "components")
        for path in (ROOT / folder).rglob("*.py")
        if "seedbed.store.schema" in _imports(path, {"seedbed.store.schema"})
        or "sqlalchemy" in path.read_text()
    ]
    assert offenders == []
