"""Run a teacher's notebook in this process, with ``check()`` cells graded afterwards.

``orderkit bugs check`` uses it on the teacher's trusted reference notebooks; the cells
run as in :mod:`orderkit.classroom.runtime.cells`. The batch grader never runs a student's
notebook here: it uses clean runs (:mod:`orderkit.classroom.runtime.runner`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import nbformat

from orderkit.classroom.notebook.feedback import checks_deferred
from orderkit.classroom.runtime.cells import new_shell, run_cells
from orderkit.classroom.runtime.collect import test_module


@dataclass
class Executed:
    """What running a notebook left behind: its namespace, its tests, its cells' errors."""

    module: ModuleType
    errors: list[str] = field(default_factory=list)
    cut_off: bool = False


def run_notebook(notebook: nbformat.NotebookNode) -> Executed:
    """Run every code cell of ``notebook`` in order; keep going after a failing cell.

    The notebook's own ``check()`` calls grade nothing here: its tests are graded once,
    afterwards.
    """
    cells = [
        (cell.get("id") or f"cell-{index}", str(cell.source))
        for index, cell in enumerate(notebook.cells, start=1)
        if cell.get("cell_type") == "code" and str(cell.get("source", "")).strip()
    ]
    with checks_deferred("graded after the notebook ran"):
        ran = run_cells(new_shell(), cells)
    return Executed(test_module(ran.shell.user_ns, ran.tests.tests()), ran.errors, ran.cut_off)
