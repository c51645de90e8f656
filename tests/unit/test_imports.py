"""The package's modules import each other in one direction only: no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "orderkit"


def _graph() -> dict[str, set[str]]:
    modules = {
        ".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): f
        for f in PACKAGE.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("orderkit"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else str(node.module))
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("orderkit")}
        graph[name] = found
    return graph


def test_no_module_of_the_kit_imports_itself_back() -> None:
    graph = _graph()
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        for dependency in graph.get(name, ()):
            if dependency in path:
                cycles.append(path[path.index(dependency) :])
            else:
                visit(dependency, [*path, dependency])

    for name in graph:
        visit(name, [name])

    assert len(graph) > 20
    assert cycles == []
