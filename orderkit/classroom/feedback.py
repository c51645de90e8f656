"""Instant feedback in the notebook: grade the student's own tests against the bug catalogue."""

from __future__ import annotations

import sys
from types import ModuleType

from orderkit.classroom.chaffs import CHAFFS
from orderkit.classroom.exercises import exercise as find_exercise
from orderkit.classroom.implementations import WHEAT
from orderkit.classroom.results import CheckResult, summarise
from orderkit.classroom.runner import run_tests

_batch_grading = False  # set by the batch grader: check() calls in a submission do nothing


def check(
    exercise: str | None = None, *, module: ModuleType | None = None, timeout: float = 10.0
) -> CheckResult:
    """Run the tests defined in this notebook on correct code and on every known bug.

    Every test must pass on the correct implementation ("this test fails on correct code"
    otherwise); each bug is *caught* when at least one of those valid tests fails on it.
    ``exercise`` (e.g. ``"unit-tests"``) limits the bugs to that exercise's levels; without
    it, the whole catalogue is used. ``module`` is where the tests live (the notebook, by
    default). A test slower than ``timeout`` seconds on one implementation is cut off.

    Returns a :class:`CheckResult`; shown as the last line of a cell, it draws the
    scoreboard widget. ``print(result)`` gives the same as text.
    """
    chaffs = CHAFFS if exercise is None else find_exercise(exercise).chaffs()
    if _batch_grading:
        return CheckResult(tests=(), chaffs=())
    target = module if module is not None else sys.modules["__main__"]
    tests, runs = run_tests(target, [WHEAT, *chaffs], timeout=timeout)
    return summarise(tests, runs, WHEAT, chaffs)
