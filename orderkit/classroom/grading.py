"""Grade one notebook in this process: run its cells, then grade its tests as check() does.

The batch grader calls this inside a sandboxed child per submission; ``orderkit bugs
check`` calls it on the instructor's reference solutions. Call it yourself only on
trusted notebooks: it runs their code with your rights.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from orderkit.classroom.catalogue import Catalogue, exercise
from orderkit.classroom.defaults import TEST_TIMEOUT
from orderkit.classroom.engine import grade
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.execute import run_notebook
from orderkit.classroom.results import CheckResult, summarise, teacher_notes


@dataclass(frozen=True)
class Graded:
    """One notebook's result and the notes a teacher should read beside it."""

    result: CheckResult
    notes: str


def read_notebook(data: bytes, name: str) -> nbformat.NotebookNode:
    """Parse a submission; any flaw is "not a readable notebook", never a crash."""
    if not name.endswith(".ipynb"):
        raise ClassroomError(f"not a notebook: expected a .ipynb file, got {name!r}")
    try:
        notebook: nbformat.NotebookNode = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # JSON, schema and encoding errors are all one case here
        raise ClassroomError(f"not a readable notebook ({type(error).__name__})") from None
    return notebook


def exercise_of(notebook: nbformat.NotebookNode, given: str | None) -> str | None:
    """The exercise to grade: ``given``, else the one the notebook's metadata names."""
    chosen = given or notebook.metadata.get("orderkit", {}).get("exercise")
    if chosen is not None:
        exercise(str(chosen))  # an unknown id is an error, not a silent full catalogue
    return None if chosen is None else str(chosen)


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
    notes = teacher_notes(result, executed.errors, bool(executed.dropped_output))
    return Graded(result, notes)
