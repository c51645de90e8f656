"""Grade one notebook in this process: run its cells, then grade its tests as check() does.

``orderkit bugs check`` calls it on the instructor's reference solutions. The batch never
does: it grades students' notebooks in clean runs (:mod:`orderkit.classroom.batch`). Call
it yourself only on trusted notebooks: it runs their code with your rights.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from orderkit.classroom.authoring.execute import run_notebook
from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.defaults import TEST_TIMEOUT
from orderkit.classroom.grading.engine import grade
from orderkit.classroom.grading.notebooks import exercise_of
from orderkit.classroom.grading.results import CheckResult, summarise, teacher_notes


@dataclass(frozen=True)
class Graded:
    """One notebook's result and the notes a teacher should read beside it."""

    result: CheckResult
    notes: str


def grade_notebook(
    notebook: nbformat.NotebookNode,
    catalogue: Catalogue,
    exercise_id: str | None = None,
    *,
    test_timeout: float = TEST_TIMEOUT,
    jobs: int = 1,
) -> Graded:
    """Run ``notebook`` top to bottom in this process and grade the tests it defines."""
    chosen_exercise = exercise_of(notebook, exercise_id)
    chosen = catalogue.for_exercise(chosen_exercise)
    executed = run_notebook(notebook)
    raw = grade(executed.module, chosen, timeout=test_timeout, jobs=jobs)
    result = summarise(raw, chosen, chosen_exercise)
    notes = teacher_notes(result, executed.errors, executed.cut_off)
    return Graded(result, notes)
