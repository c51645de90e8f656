"""Run collected tests one by one and say what each did: the part every grading run shares.

Both kinds of run use it: the batch's clean runs (:mod:`orderkit.classroom.runtime.runner`, which
loads this module from the run's own copy of the kit) and ``check()``'s runs in the
student's kernel (:mod:`orderkit.classroom.grading.runs`). It imports nothing of the kit, so a
clean run can load it before the kit and learn nothing from it.

What a test did is its outcome, with the styles students write graded alike: a failed
``subTest`` or ``subtests.test`` block fails the test, an exception in a thread the test
started fails it, and ``xfail`` marks are ignored (``--runxfail``: a test is graded by what
it does, so an xfail test that fails on correct code is not valid). A test is stopped when
it has used more than its time limit of its own process's CPU time (a neighbour's load
cannot make it time out), or five times that in wall-clock time (a test that sleeps).
"""

from __future__ import annotations

import contextlib
import dis
import inspect
import random
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from _pytest.runner import runtestprotocol

Outcome = Literal["passed", "failed", "timeout", "not-written", "skipped", "inspects"]
OUTCOMES: tuple[Outcome, ...] = (
    "passed",
    "failed",
    "timeout",
    "not-written",
    "skipped",
    "inspects",
)
CAN_ALARM = hasattr(signal, "setitimer") and sys.platform != "emscripten"
WALL_FACTOR = 5  # a test's wall-clock limit, in multiples of its CPU-time limit
SEED = 20181001  # every run draws the same random numbers and hypothesis examples
_ASSERT_APIS = {"raises", "warns", "deprecated_call", "fail", "fail_json"}
RUN_ARGS = ("--tb=line", "--capture=no", "--runxfail", "-p", "no:timeout", "-p", "no:pytest_cov")
"""pytest arguments of every grading run, after the notebook's own (:func:`pytest_args`)."""


@dataclass(frozen=True)
class Ran:
    """What one test did in one run (``asserted``: whether it checked anything)."""

    outcome: Outcome
    message: str = ""
    asserted: bool | None = None


class TimeLimit(BaseException):
    """Raised inside a test that ran past its limit (a BaseException: ``except Exception``
    in the test cannot swallow it)."""


def describe(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The first line of what went wrong in ``report`` (at most 300 characters)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1:]
    text = text if isinstance(text, str) else "".join(text)
    return text.splitlines()[0][:300] if text else report.outcome


def outcome_of(reports: Sequence[pytest.TestReport], extra: Sequence[str] = ()) -> Ran:
    """One outcome from a test's reports and the failures seen beside them (``extra``:
    failed subtests, exceptions in threads)."""
    for report in reports:
        if report.failed:
            message = describe(report)
            if "TimeLimit" in message:
                return Ran("timeout", message.partition("TimeLimit: ")[2])
            if report.when == "call" and message.startswith("NotImplementedError"):
                return Ran("not-written", "raises NotImplementedError: not written yet")
            where = "" if report.when == "call" else f"in {report.when}: "
            return Ran("failed", where + message)
    if extra:
        return Ran("failed", extra[0][:300])
    for report in reports:
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            return Ran("skipped", str(reason)[:300])
    return Ran("passed")


# -- what could not be collected -----------------------------------------------------------
class Collecting:
    """pytest hooks shared by every kind of run: what could not be collected, and why.

    A subclass says what to do with each problem in :meth:`uncollected`.
    """

    def uncollected(self, what: str, why: str) -> None:
        raise NotImplementedError

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.uncollected(report.nodeid or "the notebook", describe(report))

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str) -> None:
        if when == "collect" and issubclass(
            warning_message.category, pytest.PytestCollectionWarning
        ):
            self.uncollected(nodeid.split("::")[-1] or "a class", str(warning_message.message))


# -- stopping a test that runs too long ---------------------------------------------------
_KIT = str(Path(__file__).resolve().parents[2]) + "/"  # the kit: its loops are always timed
# sys.monitoring tools that may be free (0, 1, 2 and 5 are the debugger's, coverage's, a
# profiler's and an optimizer's).
_TOOL_IDS = (4, 3)


@contextlib.contextmanager
def time_limit(seconds: float, library: tuple[str, ...] = ()) -> Iterator[None]:
    """Raise :class:`TimeLimit` in the block after ``seconds`` of this process's CPU time,
    or ``WALL_FACTOR`` times that of wall-clock time (main thread only).

    Without timer signals (the browser's Pyodide), a hook on the interpreter checks the
    clock instead: a trace function (``sys.settrace``) before Python 3.12; then
    ``sys.monitoring``, at each call and each jump (every turn of a loop makes one), much cheaper.
    Loops in ``library`` code other than the kit's own are left unchecked after their first
    turn (calls from them still are): a library's one-off work, such as hypothesis building
    its table of Unicode characters (23 s of a browser's CPU under a trace function, 2 s
    without), then costs the test little more than it does on CPython.
    """
    if CAN_ALARM:

        def ring(signum: int, frame: Any) -> None:
            kind = "of CPU time" if signum == signal.SIGPROF else "(waiting)"
            raise TimeLimit(f"ran for more than {seconds:g} s {kind}")

        previous = signal.signal(signal.SIGPROF, ring), signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, previous[0])
            signal.signal(signal.SIGALRM, previous[1])
        return
    monitoring = getattr(sys, "monitoring", None)
    tool = None
    if monitoring is not None:
        tool = next((t for t in _TOOL_IDS if monitoring.get_tool(t) is None), None)
    if monitoring is None or tool is None:
        with _traced_limit(seconds):
            yield
        return
    with _monitored_limit(monitoring, tool, seconds, library):
        yield


def _late(seconds: float) -> TimeLimit:
    return TimeLimit(f"ran for more than {seconds:g} s of CPU time")


@contextlib.contextmanager
def _traced_limit(seconds: float) -> Iterator[None]:
    """The clock checked at every line Python runs (before Python 3.12)."""
    end = time.process_time() + seconds
    previous_trace = sys.gettrace()

    def trace(frame: types.FrameType, event: str, arg: Any) -> Any:
        if time.process_time() > end:
            raise _late(seconds)
        return trace

    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous_trace)


@contextlib.contextmanager
def _monitored_limit(
    monitoring: Any, tool: int, seconds: float, library: tuple[str, ...]
) -> Iterator[None]:
    """The clock checked at every call and every jump of Python code (Python 3.12+)."""
    end = time.process_time() + seconds
    events = monitoring.events
    stopped: set[types.CodeType] = set()

    def due(code: types.CodeType, loop: bool) -> bool:
        # Once raised, only the loops of the code it went through are stopped again (a
        # test that catches it and goes on); what runs after it (pytest's report) is not.
        if stopped:
            return loop and code in stopped
        if time.process_time() <= end:
            return False
        frame = inspect.currentframe()
        while frame is not None:
            stopped.add(frame.f_code)
            frame = frame.f_back
        return True

    def call(code: types.CodeType, offset: int) -> None:
        if due(code, loop=False):
            raise _late(seconds)

    def jump(code: types.CodeType, offset: int, target: int) -> Any:
        name = code.co_filename
        if name.startswith(library) and not name.startswith(_KIT):
            return monitoring.DISABLE  # this jump, in this code, until restart_events()
        if due(code, loop=True):
            raise _late(seconds)
        return None

    monitoring.use_tool_id(tool, "orderkit time limit")
    monitoring.register_callback(tool, events.PY_START, call)
    monitoring.register_callback(tool, events.JUMP, jump)
    monitoring.set_events(tool, events.PY_START | events.JUMP)
    try:
        yield
    finally:
        monitoring.set_events(tool, 0)
        monitoring.register_callback(tool, events.PY_START, None)
        monitoring.register_callback(tool, events.JUMP, None)
        monitoring.free_tool_id(tool)
        monitoring.restart_events()  # nothing disabled here outlives the limit


# -- did the test check anything? --------------------------------------------------------
_asserting: dict[types.CodeType, bool] = {}


def _asserts(code: types.CodeType, library: tuple[str, ...]) -> bool:
    found = _asserting.get(code)
    if found is None:
        if code.co_name.startswith("assert") or code.co_name in _ASSERT_APIS:
            found = True
        elif code.co_filename.startswith(library):
            found = False
        else:  # a plain assert, or one that pytest / ipytest rewrote
            found = "@pytest_ar" in code.co_names or "AssertionError" in code.co_names
            found = found or any(
                i.opname == "LOAD_ASSERTION_ERROR" for i in dis.get_instructions(code)
            )
        _asserting[code] = found
    return found


def asserts_itself(item: pytest.Item, library: tuple[str, ...]) -> bool:
    """The test's own code asserts, calls an assert method or ``pytest.raises``: no need
    to watch it run (watching costs a profile hook)."""
    function = getattr(item, "obj", None)
    function = getattr(getattr(function, "hypothesis", None), "inner_test", function)
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    pending = [code] if isinstance(code, types.CodeType) else []
    while pending:
        current = pending.pop()
        names = current.co_names
        if _asserts(current, library) or any(
            n.startswith("assert") or n in _ASSERT_APIS for n in names
        ):
            return True
        pending += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return False


@contextlib.contextmanager
def _watching(codes: set[types.CodeType]) -> Iterator[None]:
    """Note every function called, in this thread and in threads the test starts."""

    def profile(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            codes.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)


class _Beside:
    """Failures that pytest only logs while a test runs: failed subtests, thread errors."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:  # with log=False only the subtests' own reports arrive here
            self.failures.append(f"a subtest failed: {describe(report)}")

    @contextlib.contextmanager
    def threads(self) -> Iterator[None]:
        previous = threading.excepthook

        def hook(args: Any) -> None:
            if args.exc_type is not SystemExit:
                name = getattr(args.exc_type, "__name__", "Exception")
                self.failures.append(f"in a thread: {name}: {args.exc_value}")

        threading.excepthook = hook
        try:
            yield
        finally:
            threading.excepthook = previous


# -- running the items --------------------------------------------------------------------
def run_items(
    items: Sequence[pytest.Item],
    tests: Sequence[int],
    timeout: float,
    emit: Callable[[int, Ran], None],
    *,
    library: tuple[str, ...],
    stop: bool = False,
    watch: bool = False,
    starting: Callable[[int], None] | None = None,
) -> None:
    """Run ``items[i]`` for each ``i`` in ``tests``, in order, reporting each outcome.

    ``library``: folders whose code is not the student's (Python, its packages, the kit);
    ``stop``: end at the first test that fails; ``watch``: note whether each test ran any
    assertion; ``starting`` hears each test's index before it runs.
    """
    chosen = [items[i] for i in tests]
    if not chosen:
        return
    beside = _Beside()
    plugins = chosen[0].config.pluginmanager
    plugins.register(beside, "orderkit-beside")
    try:
        for position, (index, item) in enumerate(zip(tests, chosen, strict=True)):
            following = chosen[position + 1] if position + 1 < len(chosen) else None
            codes: set[types.CodeType] = set()
            beside.failures = []
            if starting is not None:
                starting(index)
            itself = watch and asserts_itself(item, library)
            watching = _watching(codes) if watch and not itself else contextlib.nullcontext()
            with time_limit(timeout, library), beside.threads(), watching:
                reports = runtestprotocol(item, log=False, nextitem=following)
            result = outcome_of(reports, beside.failures)
            if watch:
                asserted = itself or any(_asserts(code, library) for code in codes)
                result = Ran(result.outcome, result.message, asserted)
            emit(index, result)
            if stop and result.outcome in ("failed", "timeout"):
                if following is not None:
                    item.session._setupstate.teardown_exact(None)
                return
    finally:
        plugins.unregister(beside)


@contextlib.contextmanager
def same_randomness() -> Iterator[None]:
    """Every run draws the same random numbers and the same hypothesis examples."""
    state = random.getstate()
    random.seed(SEED)
    hypothesis = sys.modules.get("hypothesis")
    previous = None
    if hypothesis is not None:
        settings = hypothesis.settings
        previous = settings.get_current_profile_name()
        settings.register_profile(
            "orderkit-grading", derandomize=True, database=None, deadline=None, print_blob=False
        )
        settings.load_profile("orderkit-grading")
    try:
        yield
    finally:
        random.setstate(state)
        if hypothesis is not None and previous is not None:
            hypothesis.settings.load_profile(previous)
