"""Instant feedback in the notebook: grade the student's own tests against the catalogue."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from orderkit.classroom.bugs.course import for_notebook
from orderkit.classroom.defaults import TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.engine import grade
from orderkit.classroom.grading.errors import GradingError
from orderkit.classroom.grading.results import CheckResult, summarise
from orderkit.classroom.runtime.collect import CellTests, test_module

_not_now: contextvars.ContextVar[str] = contextvars.ContextVar("orderkit_check_not_now", default="")


@contextlib.contextmanager
def checks_deferred(why: str) -> Iterator[None]:
    """Inside the block, ``check()`` grades nothing and says ``why`` (the batch grader
    runs a submission's cells, then grades its tests once)."""
    token = _not_now.set(why)
    try:
        yield
    finally:
        _not_now.reset(token)


def check(
    exercise: str | None = None,
    *,
    module: ModuleType | None = None,
    timeout: float = TEST_TIMEOUT,
    bugs: Sequence[str | Path] = (),
    show_titles: bool = False,
) -> CheckResult:
    """Run the tests defined in this notebook on correct code and on every known bug.

    Every test must pass on each correct implementation (they differ only in what the
    contract leaves open); each bug is *caught* when at least one valid test fails on it.
    ``exercise`` (e.g. ``"unit-tests"``, or an id the course declares) picks the bugs of
    that exercise; without it, the whole catalogue is used. The course is found from the
    notebook's folder upwards (its ``course.toml``); ``bugs`` adds catalogue files, relative
    to the notebook's folder. Private bugs never take part here. ``module`` is where
    the tests live (the notebook, by default: the tests of its cells as they are now). A
    test slower than ``timeout`` seconds on one implementation is stopped.

    Returns a :class:`CheckResult`; shown as the last line of a cell, it draws the
    scoreboard. ``print(result)`` gives the same as text. A failure of the grader itself
    is reported on the scoreboard as such, never as a verdict on the tests.
    """
    deferred = _not_now.get()
    if deferred:
        return CheckResult(exercise=exercise, skipped_grading=deferred)
    chosen = for_notebook(notebook_folder(), bugs).for_exercise(exercise)
    target = module if module is not None else _notebook()
    try:
        raw = grade(target, chosen, timeout=timeout)
    except GradingError as error:
        return CheckResult(exercise=exercise, error=str(error))
    except ClassroomError:
        raise
    except Exception as error:  # the grader's own failure, told as such
        return CheckResult(exercise=exercise, error=f"{type(error).__name__}: {error}"[:300])
    result = summarise(raw, chosen, exercise)
    if show_titles:
        result = replace(result, show_titles=True)
    return result


# -- which tests the notebook has: kept per cell while the kernel runs ---------------------
_REGISTRY_KEY = "_orderkit_cell_tests"


def _notebook() -> ModuleType:
    main = sys.modules["__main__"]
    shell = notebook_shell()
    registry = getattr(shell, _REGISTRY_KEY, None) if shell is not None else None
    namespace = shell.user_ns if shell is not None else vars(main)
    return test_module(namespace, registry.tests() if registry is not None else None)


def notebook_folder() -> Path:
    """The folder of the running notebook: the one Jupyter started the kernel for, or cwd.

    Jupyter Server sets ``JPY_SESSION_NAME`` to the notebook's path when it starts the
    kernel (and starts it in the notebook's folder); elsewhere (IPython, JupyterLite, a
    test) the working directory stands in for it.
    """
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb") and Path(session).is_absolute() and Path(session).exists():
        return Path(session).parent
    return Path.cwd()


def notebook_shell() -> Any:
    """The IPython shell this runs in (a kernel, or IPython), or None."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the kit always has IPython beside it
        return None
    return get_ipython()


def track_cells(shell: Any) -> CellTests:
    """Keep, per cell, the tests it defined when it last ran (idempotent)."""
    registry: CellTests | None = getattr(shell, _REGISTRY_KEY, None)
    if registry is not None:
        return registry
    registry = CellTests()
    registry.adopt(shell.user_ns)
    setattr(shell, _REGISTRY_KEY, registry)

    def before(info: Any) -> None:
        registry.before_cell(shell.user_ns, getattr(info, "cell_id", None), _deleted_cells(shell))

    def after(result: Any) -> None:
        registry.after_cell(shell.user_ns)

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    return registry


def _deleted_cells(shell: Any) -> list[Any]:
    """Ids of cells deleted in JupyterLab since the last run (sent with each request)."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else {}
    except Exception:  # an older ipykernel: no deleted-cell information
        return []
    metadata = parent.get("metadata", {}) if isinstance(parent, dict) else {}
    deleted = metadata.get("deletedCells", [])
    return list(deleted) if isinstance(deleted, list) else []
