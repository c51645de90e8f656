"""Grade one notebook in this process: run its cells, then grade its tests as check() does.

``orderkit bugs check`` calls it on the instructor's reference solutions. The batch never
does: it grades students' notebooks in clean runs (:mod:`orderkit.classroom.batch`). Call
it yourself only on trusted notebooks: it runs their code with your rights.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from orderkit.classroom.authoring.execute import Executed, run_notebook
from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.defaults import TEST_TIMEOUT
from orderkit.classroom.grading.engine import grade
from orderkit.classroom.grading.notebooks import exercise_of, exercises_of
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
    chosen_exercise = exercise_of(notebook, exercise_id, catalogue.exercises)
    executed = run_notebook(notebook)
    return _graded(executed, catalogue, chosen_exercise, test_timeout, jobs)


def grade_exercises(
    notebook: nbformat.NotebookNode,
    catalogue: Catalogue,
    *,
    test_timeout: float = TEST_TIMEOUT,
    jobs: int = 1,
) -> dict[str | None, Graded]:
    """Run ``notebook`` once and grade its tests for each exercise it holds, each on its own.

    The exercises are those of :func:`exercises_of` (metadata, ``check("id")`` cells); a
    notebook naming none is graded once, on the whole catalogue (key ``None``). An id the
    catalogue does not declare is an error before anything runs.
    """
    ids: list[str | None] = [*exercises_of(notebook)] or [None]
    for exercise_id in ids:
        if exercise_id is not None:
            catalogue.exercise(exercise_id)
    executed = run_notebook(notebook)
    return {i: _graded(executed, catalogue, i, test_timeout, jobs) for i in ids}


def _graded(
    executed: Executed,
    catalogue: Catalogue,
    exercise_id: str | None,
    test_timeout: float,
    jobs: int,
) -> Graded:
    chosen = catalogue.for_exercise(exercise_id)
    raw = grade(executed.module, chosen, timeout=test_timeout, jobs=jobs)
    result = summarise(raw, chosen, exercise_id)
    return Graded(result, teacher_notes(result, executed.errors, executed.cut_off))
