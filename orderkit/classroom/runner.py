"""Run the tests defined in a notebook against several implementations, in one pytest run.

The tests run exactly as written. Each test is parametrized over the implementations, and
for the length of each test the notebook's names for the kit's classes (``InventoryService``
and friends, however they were imported) point to that implementation's classes. One
pytest session for all implementations keeps instant feedback well under a second.
Collecting from a namespace instead of a file is ipytest's job: :func:`ipytest.run`.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import ipytest
import pytest

from orderkit.classroom.implementations import Implementation
from orderkit.notebook import PYTEST_INI, QUIET_PLUGINS

Outcome = Literal["passed", "failed", "timeout", "not-written"]

_FIXTURE = "_orderkit_implementation"
_TIMEOUT_MESSAGE = "Timeout"


@dataclass(frozen=True)
class TestRun:
    """What one test did on one implementation."""

    test: str
    implementation: str
    outcome: Outcome
    message: str = ""


def _param_id(implementation: Implementation) -> str:
    return "@" + implementation.name.replace("-", "_")


class _SwapPlugin:
    """Parametrize every test over the implementations and record what each run did."""

    def __init__(self, module: ModuleType, implementations: Sequence[Implementation]) -> None:
        self.module = module
        self.implementations = list(implementations)
        self.runs: list[TestRun] = []
        self.collected: list[str] = []
        self._invalid: set[str] = set()  # tests that did not pass on the first implementation
        self._caught: set[str] = set()  # implementations a valid test already failed on

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        metafunc.parametrize(
            _FIXTURE,
            self.implementations,
            ids=[_param_id(i) for i in self.implementations],
            indirect=True,
        )

    @pytest.fixture(autouse=True)
    def _orderkit_implementation(self, request: pytest.FixtureRequest) -> Iterator[None]:
        implementation: Implementation | None = getattr(request, "param", None)
        if implementation is None:  # e.g. a unittest.TestCase, which cannot be parametrized
            yield
            return
        with _swapped(vars(self.module), implementation.swaps()):
            yield

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        """Leave out runs that cannot change the verdict; returning True means "done".

        A test that did not pass on correct code proves nothing (and one that hung there
        would hang on every bug); a bug already caught needs no second catch. Items run
        test by test, each on the reference first, so both are known in time.
        """
        implementation = _implementation_of(item)
        if implementation is None or implementation is self.implementations[0]:
            return None
        if implementation.name in self._caught:
            return True
        if _test_name(item, implementation) in self._invalid:
            return True
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        report: pytest.TestReport = yield  # type: ignore[assignment]
        implementation = _implementation_of(item)
        if implementation is None:
            return report  # type: ignore[return-value]
        name = _test_name(item, implementation)
        if call.when == "setup" and name not in self.collected:
            self.collected.append(name)
        if report.failed or (call.when == "call" and report.passed):
            self.runs.append(TestRun(name, implementation.name, *_outcome(report, call)))
            if report.failed and implementation is self.implementations[0]:
                self._invalid.add(name)
            elif report.failed and name not in self._invalid:
                self._caught.add(implementation.name)
        return report  # type: ignore[return-value]


def _implementation_of(item: pytest.Item) -> Implementation | None:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get(_FIXTURE)


def _test_name(item: pytest.Item, implementation: Implementation) -> str:
    name = item.nodeid.split("::", 1)[-1]
    name = name.replace(f"-{_param_id(implementation)}", "").replace(
        f"{_param_id(implementation)}-", ""
    )
    return name.replace(f"[{_param_id(implementation)}]", "")


def _outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Outcome, str]:
    if report.passed:
        return "passed", ""
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, NotImplementedError):
        return "not-written", "raises NotImplementedError: not written yet"
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr).splitlines()[-1]
    if message.startswith("Failed: " + _TIMEOUT_MESSAGE):
        return "timeout", message.removeprefix("Failed: ")
    where = "in setup: " if report.when == "setup" else ""
    return "failed", where + message.splitlines()[0][:300]


@contextlib.contextmanager
def _swapped(namespace: dict[str, Any], swaps: dict[type, type]) -> Iterator[None]:
    """Point every name in ``namespace`` that holds a swapped class to its replacement."""
    originals = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, type) and value in swaps
    }
    namespace.update({name: swaps[value] for name, value in originals.items()})
    try:
        yield
    finally:
        namespace.update(originals)


def run_tests(
    module: ModuleType, implementations: Sequence[Implementation], *, timeout: float = 10.0
) -> tuple[list[str], list[TestRun]]:
    """Run every test in ``module`` on every implementation; return (test names, runs).

    The first implementation is the reference: a test that does not pass there is not run
    on the others, and once a valid test fails on an implementation (catches it), no
    further test runs on that one: the verdict per implementation is all that is kept.

    A test that runs longer than ``timeout`` seconds on an implementation is cut off
    (pytest-timeout; only possible in the main thread, where notebooks run) and counts as
    failed there.
    """
    plugin = _SwapPlugin(module, implementations)
    # --tb=line: failure reports skip re-reading and parsing test source (a third of a run).
    args = ["-c", str(PYTEST_INI), "--rootdir", ".", "-q", "--tb=line", "--assert=plain"]
    for quiet in QUIET_PLUGINS:
        args += ["-p", f"no:{quiet}"]
    if threading.current_thread() is threading.main_thread():
        args += ["--timeout", str(timeout), "--timeout-method", "signal"]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        ipytest.run(
            *args,
            module=module,
            plugins=[plugin],
            raise_on_error=False,
            addopts=[],
            run_in_thread=False,
        )
    return plugin.collected, plugin.runs


__all__ = ["TestRun", "run_tests"]
