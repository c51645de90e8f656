"""Classroom tools: a bug catalogue, instant feedback, student versions, batch grading.

Importing this in a notebook starts keeping track of which tests each cell defines, so
that ``check()`` grades the tests the notebook has now, as a fresh run of it would.
"""

from orderkit.classroom.catalogue import (
    EXERCISES,
    LEVELS,
    Catalogue,
    Exercise,
    Implementation,
    Level,
    load,
)
from orderkit.classroom.feedback import check, notebook_shell, track_cells
from orderkit.classroom.results import ChaffResult, CheckResult, Verdict

if notebook_shell() is not None:  # in a notebook: track its cells, draw results as scoreboards
    from orderkit.classroom.scoreboard import show_scoreboards

    track_cells(notebook_shell())
    show_scoreboards(notebook_shell())

__all__ = [
    "EXERCISES",
    "LEVELS",
    "Catalogue",
    "ChaffResult",
    "CheckResult",
    "Exercise",
    "Implementation",
    "Level",
    "Verdict",
    "check",
    "load",
    "track_cells",
]
