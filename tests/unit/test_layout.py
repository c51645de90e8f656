"""The package's shape: what imports what, and what a clean run may carry."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from orderkit.classroom.kitcopy import RUNTIME

CLASSROOM = Path(__file__).resolve().parents[2] / "orderkit" / "classroom"


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _loaded(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr


def test_the_command_lines_help_imports_neither_pytest_nor_ipython() -> None:
    loaded = _loaded(
        "import sys; sys.argv = ['orderkit', '--help']\ntry:\n"
        "    import runpy; runpy.run_module('orderkit', run_name='__main__')\n"
        "except SystemExit:\n    pass"
    )

    assert " pytest" not in loaded
    assert " IPython" not in loaded
    assert "orderkit.classroom" in loaded  # it did get that far


def test_importing_the_classroom_package_loads_nothing_heavy() -> None:
    loaded = _loaded("import orderkit.classroom")

    assert " pytest" not in loaded
    assert " IPython" not in loaded


def test_what_a_clean_run_carries_imports_nothing_of_the_kit_but_itself() -> None:
    """The runtime modules are copied into every run beside a stub classroom package: they
    may import each other, never the grader (catalogue, batch, plan, ...)."""
    allowed = {f"orderkit.classroom.{name.removesuffix('.py')}" for name in RUNTIME}
    allowed |= {"orderkit.classroom", "orderkit.notebook"}
    for name in RUNTIME:
        ours = {m for m in _imported(CLASSROOM / name) if m.split(".")[0] == "orderkit"}
        assert ours <= allowed, (name, ours - allowed)


def test_no_class_of_the_classroom_package_looks_like_a_test_to_pytest() -> None:
    for path in CLASSROOM.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        assert not [n for n in names if n.startswith("Test")], path.name
