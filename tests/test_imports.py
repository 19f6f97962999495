"""The package's import graph: no cycles, and no dashboard view imports another view.

Read from the source with ast, so it sees what a reader sees: every import at module level
(imports inside functions are wiring, run after everything is loaded, and are listed too
when they close a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wxauth"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    found["config"] = ROOT / "config.py"
    return found


def _imports(path: Path, name: str, modules: dict[str, Path], *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    targets: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {t for t in targets if t in modules and t != name}


def _graph(*, top_level_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules, top_level_only=top_level_only) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_at_module_level():
    assert _cycle(_graph(top_level_only=True)) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"pkg": {"pkg.views"}, "pkg.views": {"pkg"}}) == ["pkg", "pkg.views", "pkg"]  # the bottom-of-__init__ import
    assert _cycle({"a": {"b"}, "b": set()}) is None


VIEW_PACKAGES = ("wxauth.dashboard", "wxauth.api", "wxauth.sandbox")


def _is_view_module(name: str, path: Path) -> bool:
    """A module that declares routes on its package's blueprint."""
    source = path.read_text()
    return name.rpartition(".")[0] in VIEW_PACKAGES and "@bp." in source


@pytest.mark.parametrize("package", VIEW_PACKAGES)
def test_no_view_module_imports_another(package):
    modules = _modules()
    graph = _graph(top_level_only=False)
    views = {n for n, p in modules.items() if n.startswith(package + ".") and _is_view_module(n, p)}
    assert views, f"no view modules found in {package}"
    crossing = {view: sorted(graph[view] & views) for view in views if graph[view] & views}
    assert crossing == {}
