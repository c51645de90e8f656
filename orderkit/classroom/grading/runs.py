"""One run: the collected tests on one implementation, isolated from every other run.

Where ``fork`` exists (CPython on Linux and macOS) a run is a child process forked after
collection: it starts from exactly the state the notebook's cells left, in a fresh working
folder and temporary folder, in its own session and process group (whatever it starts is
killed when it ends), and nothing it changes reaches another run. Where it does not (the
browser's Pyodide kernel), runs take turns in this process and everything a run can
change that can be put back is put back: the kit's code, the notebook's globals (copied
deeply where they can be), the working folder.

How each test is run and judged is :mod:`orderkit.classroom.runtime.testrun`, shared with the
batch's clean runs.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orderkit.classroom.bugs import kitpatch
from orderkit.classroom.processes.endings import Ending
from orderkit.classroom.processes.libc import die_with_parent, libc
from orderkit.classroom.runtime import measure, testrun
from orderkit.classroom.runtime.testrun import OUTCOMES, Ran

_DONE = -1  # the last line of a run that got to its end
_ARCS = -2  # the hint run's coverage, just before its end
KIT = str(Path(kitpatch.__file__).parents[2])  # where the kit's code objects say they are
CAN_FORK = hasattr(os, "fork") and sys.platform != "emscripten"
_LIBRARY = (sys.prefix, sys.base_prefix, str(Path(kitpatch.__file__).resolve().parents[2]))


@dataclass(frozen=True)
class Run:
    """What to run: an implementation's compiled modules, the tests (by index), how."""

    key: int  # the runner's own number for this run; never shown to the tests
    code: kitpatch.Compiled
    tests: tuple[int, ...]
    stop_at_first_failure: bool = False
    watch_asserts: bool = False
    measure: bool = False  # the hint run: coverage on (its outcomes are never a verdict)


def run_items(
    items: Sequence[pytest.Item],
    tests: Sequence[int],
    timeout: float,
    emit: Callable[[int, Ran], None],
    *,
    stop: bool = False,
    watch: bool = False,
) -> None:
    """:func:`testrun.run_items` with the kernel's library folders."""
    chosen = [items[i] for i in tests]
    if chosen:  # tmp_path and friends: under this run's own temporary folder
        factory = getattr(chosen[0].config, "_tmp_path_factory", None)
        if factory is not None:
            factory._basetemp = None
    testrun.run_items(items, tests, timeout, emit, library=_LIBRARY, stop=stop, watch=watch)


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
    items: Sequence[pytest.Item],
    run: Run,
    timeout: float,
    namespaces: Sequence[dict[str, Any]],
    arcs: measure.Arcs | None = None,
) -> dict[int, Ran]:
    """Run in this process, undoing afterwards what can be undone; a run that measures
    puts what it took into ``arcs``."""
    outcomes: dict[int, Ran] = {}
    with (
        restored_globals(namespaces),
        fresh_folders(),
        testrun.same_randomness(),
        kitpatch.loaded(run.code),
        measure.measuring(KIT, arcs) if arcs is not None else contextlib.nullcontext(),
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


class Forked:
    """A run in a child process; the parent reads its outcomes as they come."""

    def __init__(self, items: Sequence[pytest.Item], run: Run, timeout: float) -> None:
        self.run = run
        self.outcomes: dict[int, Ran] = {}
        self.arcs: measure.Arcs | None = None
        self.died = ""
        self.scratch = tempfile.mkdtemp(prefix="orderkit-run-")
        read, write = os.pipe()
        libc()  # looked up here, before the fork
        with warnings.catch_warnings():  # 3.12+: forking a kernel, which has threads
            warnings.simplefilter("ignore", DeprecationWarning)
            self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(read)
            _child(items, run, timeout, write, self.scratch)
        os.close(write)
        self.fd = read
        self._buffer = b""
        self.complete = False
        self.reaped = False
        self.started = time.monotonic()
        self.budget = timeout * (len(run.tests) + 1) + 5.0

    @property
    def sentinel(self) -> int:
        return self.fd

    @property
    def deadline(self) -> float:
        return self.started + self.budget

    def take(self) -> bool:
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
        elif index == _ARCS and self.run.measure and isinstance(outcome, dict):
            self.arcs = _arcs(outcome)
        elif index in self.run.tests and outcome in OUTCOMES:
            self.outcomes[index] = Ran(outcome, str(message), asserted)

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
        if not self.complete:
            self.died = f"the test run ended early ({Ending.of_status(status)})"


def _arcs(data: dict[str, Any]) -> measure.Arcs:
    """The hint run's coverage as the child sent it (a test could write to the pipe too:
    whatever it forges reaches the hints alone)."""
    found: measure.Arcs = {}
    for file, pairs in data.items():
        if isinstance(file, str) and isinstance(pairs, list):
            found[file] = [
                (a, b)
                for a, b in (p for p in pairs if isinstance(p, list) and len(p) == 2)
                if isinstance(a, int) and isinstance(b, int)
            ]
    return found


def _child(
    items: Sequence[pytest.Item],
    run: Run,
    timeout: float,
    write: int,
    scratch: str,
) -> None:
    """Body of a forked run: isolate, load the implementation, run, report, leave."""
    try:
        gc.disable()  # a short-lived process: collecting would only copy shared pages
        os.setsid()
        die_with_parent()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdout = sys.stderr = io.StringIO()  # a kernel's streams need threads gone here
        sys.stdin = io.StringIO()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

        def emit(index: int, outcome: Ran) -> None:
            data = json.dumps([index, outcome.outcome, outcome.message, outcome.asserted])
            os.write(write, data.encode() + b"\n")
            sys.stdout.seek(0)
            sys.stdout.truncate()

        with fresh_folders(scratch), testrun.same_randomness():
            kitpatch.load(run.code)  # for good: this process ends with the run
            tests, stop, watch = run.tests, run.stop_at_first_failure, run.watch_asserts
            arcs: measure.Arcs | None = {} if run.measure else None
            del run  # the frames that run the tests hold nothing that names the implementation
            if arcs is None:
                run_items(items, tests, timeout, emit, stop=stop, watch=watch)
            else:
                with measure.measuring(KIT, arcs):
                    run_items(items, tests, timeout, emit, stop=stop, watch=watch)
                os.write(write, json.dumps([_ARCS, arcs, "", None]).encode() + b"\n")
            os.write(write, json.dumps([_DONE, "", "", None]).encode() + b"\n")
    except BaseException:
        os._exit(3)
    os._exit(0)
