"""Classroom tools: a bug catalogue, instant feedback, student versions, batch grading.

Importing this package does nothing by itself: each name loads its module when it is
first used, so ``orderkit --help`` or a script that only reads the catalogue never imports
pytest or IPython. In a notebook, the first use of ``check`` (``from orderkit.classroom
import check``) starts keeping track of which tests each cell defines, so that ``check()``
grades the tests the notebook has now, as a fresh run of it would, and draws results as
scoreboards.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderkit.classroom.bugs.catalogue import (
        EXERCISES,
        LEVELS,
        Catalogue,
        Exercise,
        Implementation,
        Level,
        load,
    )
    from orderkit.classroom.bugs.course import Course
    from orderkit.classroom.grading.results import ChaffResult, CheckResult, Verdict
    from orderkit.classroom.notebook.feedback import check, notebook_shell, track_cells

_WHERE = {
    **dict.fromkeys(
        ("EXERCISES", "LEVELS", "Catalogue", "Exercise", "Implementation", "Level", "load"),
        "bugs.catalogue",
    ),
    "Course": "bugs.course",
    **dict.fromkeys(("check", "notebook_shell", "track_cells"), "notebook.feedback"),
    **dict.fromkeys(("ChaffResult", "CheckResult", "Verdict"), "grading.results"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if name == "check":
        _start_in_notebook()
    globals()[name] = value
    return value


def _start_in_notebook() -> None:
    """In a notebook: track its cells, draw results as scoreboards (once; idempotent)."""
    from orderkit.classroom.notebook.feedback import notebook_shell, track_cells

    shell = notebook_shell()
    if shell is not None:
        from orderkit.classroom.notebook.scoreboard import show_scoreboards

        track_cells(shell)
        show_scoreboards(shell)


__all__ = [
    "EXERCISES",
    "LEVELS",
    "Catalogue",
    "ChaffResult",
    "CheckResult",
    "Course",
    "Exercise",
    "Implementation",
    "Level",
    "Verdict",
    "check",
    "load",
    "notebook_shell",
    "track_cells",
]
