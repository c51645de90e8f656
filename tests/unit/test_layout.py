"""The package's shape: what imports what, and what a clean run may carry."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


ALLOWED = {
    "bugs": set(),
    "runtime": set(),
    "processes": set(),
    "grading": {"bugs", "processes", "runtime"},
    "notebook": {"bugs", "grading", "processes", "runtime"},
    "batch": {"bugs", "grading", "processes", "runtime"},
    "report": {"batch", "bugs", "grading", "processes", "runtime"},
    "authoring": {"bugs", "grading", "notebook", "processes", "runtime"},
}
"""Which subpackages of ``orderkit.classroom`` each one may import (its top-level modules,
``errors`` and ``defaults``, are open to all). Lower layers never import higher ones."""


def _subpackage_imports() -> dict[tuple[str, str], set[str]]:
    found = {}
    for path in sorted(CLASSROOM.rglob("*.py")):
        relative = path.relative_to(CLASSROOM)
        if len(relative.parts) < 2:
            continue
        names = {
            m.split(".")[2]
            for m in _imported(path)
            if m.startswith("orderkit.classroom.") and len(m.split(".")) > 3
        }
        found[(relative.parts[0], relative.as_posix())] = names
    return found


def test_every_subpackage_of_the_classroom_has_its_allowed_imports_declared() -> None:
    subpackages = {p.parent.name for p in CLASSROOM.glob("*/__init__.py")}

    assert subpackages == set(ALLOWED)


def test_the_classroom_subpackages_import_only_downwards() -> None:
    wrong = {
        module: sorted(names - ALLOWED[package] - {package})
        for (package, module), names in _subpackage_imports().items()
        if names - ALLOWED[package] - {package}
    }

    assert wrong == {}


def test_the_layer_test_can_see_a_wrong_import(tmp_path: Path) -> None:
    """The parser the layer test relies on reads ``from a.b.c import d`` as a.b.c."""
    module = tmp_path / "m.py"
    module.write_text("from orderkit.classroom.report.page import render\nimport os\n")

    assert _imported(module) == {"orderkit.classroom.report.page", "os"}


def test_what_a_clean_run_carries_imports_nothing_of_the_grader() -> None:
    """The runtime subpackage is copied as source into every run beside a stub classroom
    package: it may import itself and the kit, never the grader (catalogue, batch, ...)."""
    for path in (CLASSROOM / "runtime").glob("*.py"):
        ours = {m for m in _imported(path) if m.startswith("orderkit.classroom")}
        outside = {m for m in ours if not m.startswith("orderkit.classroom.runtime")}
        assert outside <= {"orderkit.classroom"}, (path.name, outside)


def test_no_class_of_the_classroom_package_looks_like_a_test_to_pytest() -> None:
    for path in CLASSROOM.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        assert not [n for n in names if n.startswith("Test")], path.name
