"""One run: the collected tests on one implementation, isolated from every other run.

Where ``fork`` exists (CPython on Linux and macOS) a run is a child process forked after
collection: it starts from exactly the state the notebook's cells left, in a fresh working
folder and temporary folder, in its own session and process group (whatever it starts is
killed when it ends), and nothing it changes reaches another run. Where it does not (the
browser's Pyodide kernel), runs take turns in this process and everything a run can
change that can be put back is put back: the kit's code, the notebook's globals (copied
deeply where they can be), the working folder.

A test that runs longer than the limit is stopped: by a timer signal where there is one,
else by a trace function that checks the clock. A hypothesis test runs derandomized, so
its examples do not change from run to run.
"""

from __future__ import annotations

import contextlib
import copy
import dis
import functools
import gc
import io
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from _pytest.runner import runtestprotocol

from orderkit.classroom import kitpatch

Outcome = Literal["passed", "failed", "timeout", "not-written", "skipped"]
_OUTCOMES = ("passed", "failed", "timeout", "not-written", "skipped")
_DONE = -1  # the last line of a run that got to its end
CAN_FORK = hasattr(os, "fork") and sys.platform != "emscripten"
CAN_ALARM = hasattr(signal, "setitimer") and sys.platform != "emscripten"
_KIT = str(Path(kitpatch.__file__).resolve().parents[1])
_ASSERT_APIS = {"raises", "warns", "deprecated_call", "fail", "fail_json"}


@dataclass(frozen=True)
class TestOutcome:
    """What one test did in one run."""

    outcome: Outcome
    message: str = ""
    asserted: bool | None = None  # measured on the reference run only


@dataclass(frozen=True)
class Run:
    """What to run: an implementation's compiled modules, the tests (by index), how."""

    key: int  # the runner's own number for this run; never shown to the tests
    code: kitpatch.Compiled
    tests: tuple[int, ...]
    stop_at_first_failure: bool = False
    watch_asserts: bool = False


class TestTimeout(BaseException):
    """Raised inside a test that ran past its limit (a BaseException: ``except Exception``
    in the test cannot swallow it)."""


def describe(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1:]
    text = text if isinstance(text, str) else "".join(text)
    return text.splitlines()[0][:300] if text else report.outcome


def _outcome(reports: Sequence[pytest.TestReport]) -> TestOutcome:
    for report in reports:
        if report.failed:
            message = describe(report)
            if "TestTimeout" in message:
                return TestOutcome("timeout", message.partition("TestTimeout: ")[2])
            if report.when == "call" and message.startswith("NotImplementedError"):
                return TestOutcome("not-written", "raises NotImplementedError: not written yet")
            where = "" if report.when == "call" else f"in {report.when}: "
            return TestOutcome("failed", where + message)
    for report in reports:
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            return TestOutcome("skipped", str(reason)[:300])
    return TestOutcome("passed")


# -- stopping a test that hangs -----------------------------------------------------------
@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`TestTimeout` in the block after ``seconds`` (main thread only)."""
    if CAN_ALARM:

        def ring(signum: int, frame: Any) -> None:
            raise TestTimeout(f"ran for more than {seconds:g} s")

        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    end = time.monotonic() + seconds
    previous_trace = sys.gettrace()

    def trace(frame: types.FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > end:
            raise TestTimeout(f"ran for more than {seconds:g} s")
        return trace

    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous_trace)


# -- did the test check anything? --------------------------------------------------------
_asserting: dict[types.CodeType, bool] = {}


def _asserts(code: types.CodeType) -> bool:
    found = _asserting.get(code)
    if found is None:
        if code.co_name.startswith("assert") or code.co_name in _ASSERT_APIS:
            found = True
        elif code.co_filename.startswith((sys.prefix, sys.base_prefix, _KIT)):
            found = False
        else:  # a plain assert, or one that pytest / ipytest rewrote
            found = "@pytest_ar" in code.co_names or "AssertionError" in code.co_names
            found = found or any(
                i.opname == "LOAD_ASSERTION_ERROR" for i in dis.get_instructions(code)
            )
        _asserting[code] = found
    return found


def _asserts_itself(item: pytest.Item) -> bool:
    """The test's own code asserts, calls an assert method or ``pytest.raises``: no need
    to watch it run (watching costs a profile hook)."""
    function = getattr(item, "obj", None)
    function = getattr(getattr(function, "hypothesis", None), "inner_test", function)
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    pending = [code] if isinstance(code, types.CodeType) else []
    while pending:
        current = pending.pop()
        names = current.co_names
        if _asserts(current) or any(n.startswith("assert") or n in _ASSERT_APIS for n in names):
            return True
        pending += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return False


@contextlib.contextmanager
def _watching(codes: set[types.CodeType]) -> Iterator[None]:
    def profile(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            codes.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


# -- running the items --------------------------------------------------------------------
def run_items(
    items: Sequence[pytest.Item],
    tests: Sequence[int],
    timeout: float,
    emit: Callable[[int, TestOutcome], None],
    *,
    stop: bool = False,
    watch: bool = False,
) -> None:
    """Run ``items[i]`` for each ``i`` in ``tests``, in order, reporting each outcome.

    ``stop``: end at the first test that fails (the implementation is caught); ``watch``:
    note whether each test ran any assertion (costs a profile hook).
    """
    chosen = [items[i] for i in tests]
    if chosen:  # tmp_path and friends: under this run's own temporary folder
        factory = getattr(chosen[0].config, "_tmp_path_factory", None)
        if factory is not None:
            factory._basetemp = None
    for position, (index, item) in enumerate(zip(tests, chosen, strict=True)):
        following = chosen[position + 1] if position + 1 < len(chosen) else None
        codes: set[types.CodeType] = set()
        itself = watch and _asserts_itself(item)
        watching = _watching(codes) if watch and not itself else contextlib.nullcontext()
        with deadline(timeout), watching:
            reports = runtestprotocol(item, log=False, nextitem=following)
        result = _outcome(reports)
        if watch:
            asserted = itself or any(map(_asserts, codes))
            result = TestOutcome(result.outcome, result.message, asserted)
        emit(index, result)
        if stop and result.outcome in ("failed", "timeout"):
            if following is not None:
                item.session._setupstate.teardown_exact(None)
            return


@contextlib.contextmanager
def fresh_folders(scratch: str | None = None) -> Iterator[None]:
    """A new working folder and temporary folder for the block.

    ``scratch``: a new empty folder made (and later removed) by the caller; by default one
    is made here and removed at the end of the block.
    """
    home = os.getcwd()
    owned = scratch is None
    scratch = tempfile.mkdtemp(prefix="orderkit-run-") if scratch is None else scratch
    previous_tmp = tempfile.tempdir
    previous_env = os.environ.get("TMPDIR")
    os.makedirs(os.path.join(scratch, "tmp"))
    os.chdir(scratch)
    tempfile.tempdir = os.path.join(scratch, "tmp")
    os.environ["TMPDIR"] = tempfile.tempdir
    try:
        yield
    finally:
        os.chdir(home)
        tempfile.tempdir = previous_tmp
        if previous_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous_env
        if owned:
            shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def same_randomness() -> Iterator[None]:
    """Every run draws the same random numbers and the same hypothesis examples."""
    state = random.getstate()
    random.seed(20181001)
    hypothesis = sys.modules.get("hypothesis")
    previous = None
    if hypothesis is not None:
        settings = hypothesis.settings
        previous = getattr(settings, "_current_profile", None)
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


@contextlib.contextmanager
def restored_globals(namespaces: Sequence[dict[str, Any]]) -> Iterator[None]:
    """In one process: give every run the notebook's globals as the cells left them.

    Names are put back as they were; lists, dicts and sets are copied deeply first, so a
    test that appends to a module-level list does not see what another run appended.
    Other objects (an inventory made in a cell) are shared, which the probes then notice.
    """
    saved = []
    for namespace in namespaces:
        copies = dict(namespace)
        for name, value in namespace.items():
            if (
                isinstance(value, (list, dict, set))
                and not name.startswith("_")
                and name not in _SHELL
            ):
                with contextlib.suppress(Exception):  # not copyable: shared as it is
                    copies[name] = copy.deepcopy(value)
        saved.append((namespace, copies))
    try:
        yield
    finally:
        for namespace, copies in saved:
            namespace.clear()
            namespace.update(copies)


_SHELL = {"In", "Out", "exit", "quit", "get_ipython"}


def in_process(
    items: Sequence[pytest.Item], run: Run, timeout: float, namespaces: Sequence[dict[str, Any]]
) -> dict[int, TestOutcome]:
    """Run in this process, undoing afterwards what can be undone."""
    outcomes: dict[int, TestOutcome] = {}
    with (
        restored_globals(namespaces),
        fresh_folders(),
        same_randomness(),
        kitpatch.loaded(run.code),
    ):
        run_items(
            items,
            run.tests,
            timeout,
            outcomes.__setitem__,
            stop=run.stop_at_first_failure,
            watch=run.watch_asserts,
        )
    return outcomes


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl(2) on Linux, else None; looked up in the parent (dlsym takes a lock, and
    building a ctypes library object in every child writes pages it would have to copy)."""
    if sys.platform != "linux":
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with_parent(prctl: Callable[..., int] | None) -> None:
    """On Linux, end this run if the process that forked it dies (a kernel restarted, a
    grader's worker killed): in its own session, nothing else would end it."""
    if prctl is not None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class Forked:
    """A run in a child process; the parent reads its outcomes as they come."""

    def __init__(self, items: Sequence[pytest.Item], run: Run, timeout: float) -> None:
        self.run = run
        self.outcomes: dict[int, TestOutcome] = {}
        self.died = ""
        self.scratch = tempfile.mkdtemp(prefix="orderkit-run-")
        read, write = os.pipe()
        prctl = _prctl()
        with warnings.catch_warnings():  # 3.12+: forking a kernel, which has threads
            warnings.simplefilter("ignore", DeprecationWarning)
            self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(read)
            _child(items, run, timeout, write, self.scratch, prctl)
        os.close(write)
        self.fd = read
        self._buffer = b""
        self.complete = False
        self.reaped = False
        self.started = time.monotonic()
        self.budget = timeout * (len(run.tests) + 1) + 5.0

    def fileno(self) -> int:
        return self.fd

    def read(self) -> bool:
        """Take what the child sent; True once the run is over (its end marker, or the
        pipe closed). Then everything the run left running is killed; :meth:`reap`
        collects the process later, so that the next run need not wait for this one's exit.
        """
        chunk = os.read(self.fd, 1 << 16)
        if chunk:
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:  # plain JSON: the bytes come from a process running tests
                self._take(line)
            if not self.complete:
                return False
        self._end()
        if not self.complete:
            self.reap()  # it ended without its marker: how, the exit status says
        return True

    def _take(self, line: bytes) -> None:
        try:
            index, outcome, message, asserted = json.loads(line)
        except (ValueError, TypeError):  # not ours (a test wrote to the pipe): ignored
            return
        if index == _DONE:
            self.complete = True
        elif index in self.run.tests and outcome in _OUTCOMES:
            self.outcomes[index] = TestOutcome(outcome, str(message), asserted)

    def overdue(self) -> bool:
        return time.monotonic() - self.started > self.budget

    def _end(self) -> None:
        """The run is over: kill its whole process group (the run and what it started)."""
        if self.fd < 0:
            return
        os.close(self.fd)
        self.fd = -1
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # in case it left its group
        shutil.rmtree(self.scratch, ignore_errors=True)

    def kill(self) -> None:
        """Stop a run that went past its budget."""
        self.complete = True  # what it reported stands; the rest did not run
        self._end()
        self.reap()

    def reap(self) -> None:
        """Collect the ended process; note how it died if it did not finish its run."""
        if self.reaped:
            return
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        code = os.waitstatus_to_exitcode(status)
        if not self.complete:
            how = (
                f"killed by signal {signal.Signals(-code).name}"
                if code < 0
                else f"exit status {code}"
            )
            self.died = f"the test run ended early ({how})"


def _child(
    items: Sequence[pytest.Item],
    run: Run,
    timeout: float,
    write: int,
    scratch: str,
    prctl: Callable[..., int] | None,
) -> None:
    """Body of a forked run: isolate, load the implementation, run, report, leave."""
    try:
        gc.disable()  # a short-lived process: collecting would only copy shared pages
        os.setsid()
        _die_with_parent(prctl)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdout = sys.stderr = io.StringIO()  # a kernel's streams need threads gone here
        sys.stdin = io.StringIO()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

        def emit(index: int, outcome: TestOutcome) -> None:
            data = json.dumps([index, outcome.outcome, outcome.message, outcome.asserted])
            os.write(write, data.encode() + b"\n")
            sys.stdout.seek(0)
            sys.stdout.truncate()

        with fresh_folders(scratch), same_randomness():
            kitpatch.load(run.code)  # for good: this process ends with the run
            tests, stop, watch = run.tests, run.stop_at_first_failure, run.watch_asserts
            del run  # the frames that run the tests hold nothing that names the implementation
            run_items(items, tests, timeout, emit, stop=stop, watch=watch)
            os.write(write, json.dumps([_DONE, "", "", None]).encode() + b"\n")
    except BaseException:
        os._exit(3)
    os._exit(0)
