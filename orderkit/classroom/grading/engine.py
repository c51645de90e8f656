"""Grade a set of tests: collect them once, then run them on every implementation.

One pytest session collects the notebook's tests, however they are written (functions,
classes, ``unittest.TestCase``, fixtures, parametrize, hypothesis); collection problems
are recorded, never dropped. Then, instead of pytest's own loop, the runs are made:

1. every **wheat** with every test: a test is valid only if it passes on all of them;
2. every **chaff** with the valid tests, stopping at the first one that fails (caught);
   every **misconception** with the tests that failed on a wheat; and a **probe**: the
   reference wheat again, tests in reverse order, placed at a random point among them;
3. a last probe: the reference wheat again, after all the others.

A test whose outcome on the reference wheat differs in a probe depends on what ran before
it (state left at module level, a file at a fixed path, the order of tests): it is
*flaky* and invalid, never a catch. The order of the runs in step 2 is shuffled with the
operating system's randomness, so counting runs tells a test nothing.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import secrets
import tempfile
import threading
import types
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import ipytest
import pytest

from orderkit.classroom.bugs.catalogue import Catalogue, Implementation
from orderkit.classroom.defaults import TEST_TIMEOUT
from orderkit.classroom.grading import hints, runs
from orderkit.classroom.grading.errors import GradingError
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.grading.results import every_test_valid
from orderkit.classroom.grading.runs import Run
from orderkit.classroom.runtime import measure, testrun
from orderkit.classroom.runtime.testrun import Ran
from orderkit.notebook import PYTEST_INI, pytest_args

NO_FORK = "ORDERKIT_NO_FORK"
"""Set to 1 to grade as the browser does (runs take turns in one process), e.g. to compare."""


def _name(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[-1]


class _Plugin(testrun.Collecting):
    """Collects, then replaces pytest's run loop by the plan above."""

    def __init__(self, catalogue: Catalogue, timeout: float, jobs: int, fork: bool) -> None:
        self.catalogue = catalogue
        self.timeout = timeout
        self.jobs = jobs
        self.fork = fork
        self.raw = Raw()
        self.looped = False
        self.namespaces: list[dict[str, Any]] = []

    def uncollected(self, what: str, why: str) -> None:
        self.raw.uncollected.append((what, why))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.looped = True
        items = list(session.items)
        self.raw.tests = [_name(item) for item in items]
        self.namespaces = _namespaces(items)
        if items:
            try:
                self._plan(items)
            except Exception as error:  # the grader's own failure: never a verdict
                self.raw.error = f"{type(error).__name__}: {error}"[:300]
        return True

    # -- the plan -------------------------------------------------------------------------
    def _plan(self, items: list[pytest.Item]) -> None:
        every = tuple(range(len(items)))
        names = self.raw.tests
        wheats = self.catalogue.of_kind("wheat")
        reference = wheats[0]
        first = [Run(0, reference.code(), every, watch_asserts=True)]
        found = self._execute(items, first)
        on_reference = found[0]
        passed = tuple(i for i in every if on_reference.get(i, _MISSING).outcome == "passed")
        failing = tuple(i for i in every if on_reference.get(i, _MISSING).outcome == "failed")
        others = [Run(n, w.code(), passed) for n, w in enumerate(wheats[1:], start=1)]
        found.update(self._execute(items, others))
        first += others
        for run, implementation in zip(first, wheats, strict=True):
            self.raw.outcomes[implementation.name] = {
                names[i]: o for i, o in found[run.key].items()
            }
        on = self.raw.outcomes
        valid = tuple(
            i
            for i in passed
            if all(on[w.name].get(names[i], _MISSING).outcome == "passed" for w in wheats)
        )
        settled = tuple(i for i in every if i in passed or i in failing)  # not hung, not stubs
        later: list[tuple[Run, Implementation | None]] = []
        key = len(first)
        for chaff in self.catalogue.of_kind("chaff") if valid else ():
            later.append((Run(key, chaff.code(), valid, stop_at_first_failure=True), chaff))
            key += 1
        for belief in self.catalogue.of_kind("misconception") if failing else ():
            later.append((Run(key, belief.code(), failing), belief))
            key += 1
        secrets.SystemRandom().shuffle(later)
        probe = Run(key, reference.code(), settled[::-1])
        later.insert(secrets.randbelow(len(later) + 1), (probe, None))
        found = self._execute(items, [run for run, _ in later])
        last = Run(key + 1, reference.code(), settled)
        found.update(self._execute(items, [last]))
        for run, tried in later:
            outcomes = {names[i]: o for i, o in found[run.key].items()}
            if tried is None:
                self.raw.probes.append(outcomes)
            else:
                self.raw.outcomes[tried.name] = outcomes
        self.raw.probes.append({names[i]: o for i, o in found[last.key].items()})
        if hints.wanted() and every_test_valid(self.raw, self.catalogue):
            self._measure(items, Run(key + 2, reference.code(), every, measure=True))

    def _measure(self, items: list[pytest.Item], run: Run) -> None:
        """The hint run: every test on the reference once more, coverage on. What it finds
        goes to ``raw.arcs`` alone (the hints), never to the outcomes the verdicts read."""
        if not testrun.CAN_ALARM or not measure.available():  # the browser times by tracing
            self.raw.hints_note = hints.UNAVAILABLE
            return
        if not self.fork:
            arcs: measure.Arcs = {}
            runs.in_process(items, run, self.timeout, self.namespaces, arcs)
            self.raw.arcs = arcs
            return
        from orderkit.classroom.processes import loop

        children: list[runs.Forked] = []

        def ended(run: Run, child: runs.Forked, late: bool) -> None:
            if late:  # past its budget: no hints (and no note: the grade is already whole)
                child.kill()
            else:
                children.append(child)

        gc.freeze()
        try:
            loop.run(deque([run]), lambda run: runs.Forked(items, run, self.timeout), ended, 1)
        finally:
            gc.unfreeze()
        for child in children:
            child.reap()
            if child.complete and not child.died and child.arcs is not None:
                self.raw.arcs = child.arcs

    def _execute(self, items: list[pytest.Item], plan: Sequence[Run]) -> dict[int, dict[int, Ran]]:
        empty: dict[int, dict[int, Ran]] = {run.key: {} for run in plan if not run.tests}
        plan = [run for run in plan if run.tests]
        if not self.fork:
            done = {
                run.key: runs.in_process(items, run, self.timeout, self.namespaces) for run in plan
            }
            return {**empty, **done}
        from orderkit.classroom.processes import loop  # only where runs fork (not the browser)

        results: dict[int, dict[int, Ran]] = dict(empty)
        over: list[runs.Forked] = []

        def ended(run: Run, child: runs.Forked, late: bool) -> None:
            if late:
                child.kill()
            over.append(child)
            self._done(child, results, hung=f"stopped after {child.budget:g} s" if late else "")

        gc.freeze()  # what exists now is shared with the runs, and their gc never touches it
        try:
            loop.run(
                deque(plan), lambda run: runs.Forked(items, run, self.timeout), ended, self.jobs
            )
            for child in over:
                child.reap()
        finally:
            gc.unfreeze()  # this process (a kernel) lives on: its objects are collectable again
        return results

    def _done(self, child: runs.Forked, results: dict[int, dict[int, Ran]], hung: str = "") -> None:
        """Keep a run's outcomes; the test running when the run ended (died, or was
        stopped for running past its budget) is the one that took it down."""
        results[child.run.key] = child.outcomes
        why = hung or child.died
        missing = [i for i in child.run.tests if i not in child.outcomes]
        if why and missing:
            child.outcomes[missing[0]] = Ran("timeout" if hung else "failed", why)


_MISSING = Ran("failed", "did not run")


def _namespaces(items: Sequence[pytest.Item]) -> list[dict[str, Any]]:
    """The globals the tests see (the notebook's), for runs that share this process."""
    found: dict[int, dict[str, Any]] = {}
    for item in items:
        function = getattr(item, "function", None)
        namespace = getattr(function, "__globals__", None)
        if isinstance(namespace, dict):
            found[id(namespace)] = namespace
    return list(found.values())


def grade(
    module: types.ModuleType,
    catalogue: Catalogue,
    *,
    timeout: float = TEST_TIMEOUT,
    jobs: int | None = None,
    fork: bool | None = None,
) -> Raw:
    """Collect the tests in ``module`` and run them on every implementation of ``catalogue``.

    ``fork=None`` forks where the platform can; ``jobs`` runs at most that many forked
    runs at once (default: the cores, at most 2 beside a kernel).
    """
    if fork is None:
        fork = runs.CAN_FORK and os.environ.get(NO_FORK) != "1"
    fork = fork and runs.CAN_FORK
    jobs = max(1, jobs or min(2, os.cpu_count() or 1))
    plugin = _Plugin(catalogue, timeout, jobs, fork)
    plugin.raw.isolation = (
        "each run in its own forked process, working folder and temporary folder"
        if fork
        else "runs take turns in this process (no fork here): the kit, the notebook's "
        "globals and the working folder are restored between runs"
    )
    args = [*pytest_args(PYTEST_INI), *testrun.RUN_ARGS]
    with _quiet() as output, _main_thread_only(), _elsewhere():
        code = ipytest.run(
            *args,
            module=module,
            plugins=[plugin],
            raise_on_error=False,
            addopts=[],
            run_in_thread=False,
        )
    if plugin.raw.error:
        raise GradingError(plugin.raw.error)
    if not plugin.looped and int(code) not in (0, 5):  # pytest itself stopped: never "0 tests"
        last = (output.getvalue().strip().splitlines() or [""])[-1]
        raise GradingError(
            f"pytest stopped before running the tests (exit {int(code)}): {last}"[:300]
        )
    return plugin.raw


@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        yield output


@contextlib.contextmanager
def _elsewhere() -> Iterator[None]:
    """Collect in a temporary folder: ipytest writes a placeholder module file into the
    working folder, and a kernel killed mid-check would leave it beside the notebook."""
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="orderkit-check-") as folder:
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(home)


@contextlib.contextmanager
def _main_thread_only() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        raise GradingError("check() must be called from the main thread (a notebook cell)")
    yield
