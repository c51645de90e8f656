"""Start one clean run in a sandbox, and read what it reports as untrusted data.

A clean run (:mod:`orderkit.classroom.runtime.runner`) is a fresh Python in its own sandbox:
forked from a clean zygote that has only imported the libraries (where the sandbox has
namespaces, :mod:`orderkit.classroom.batch.zygote`), else started with ``exec``. Either way it
holds none of the grader's memory. Its sandbox (:mod:`orderkit.classroom.batch.sandbox`) gives
it its own PID, mount and network namespaces, a private /tmp, its own scratch folder
holding nothing but its copy of the kit (:mod:`orderkit.classroom.batch.kitcopy`) and its
request. The installed kit, the catalogue and
every other run's folder are out of its sight.

What the run writes back is parsed here by rules that trust nothing: a line that is not
one of the runner's events, a second list of tests, an outcome for a test that does not
exist, a test reported twice, more than :data:`MAX_BYTES`: the result is
:class:`Unreadable`, and the batch marks the submission "could not be graded" with why.
"""

from __future__ import annotations

import enum
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from orderkit.classroom.batch import kitcopy, sandbox
from orderkit.classroom.batch.limits import Group
from orderkit.classroom.batch.zygote import Zygote
from orderkit.classroom.bugs.catalogue import Implementation
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.processes.endings import Ending, How
from orderkit.classroom.runtime import guard
from orderkit.classroom.runtime.runner import RESULT_FD
from orderkit.classroom.runtime.testrun import OUTCOMES, WALL_FACTOR, Ran

MAX_BYTES = 4 << 20
MAX_TESTS = 2000
MAX_TEXT = 2000
_BOOT = (
    "import os, sys; sys.path.insert(0, os.path.abspath('kit')); "
    "from orderkit.classroom.runtime.runner import main; main()"
)


class End(enum.Enum):
    """How a clean run ended; the value is what a teacher reads."""

    COMPLETE = ""  # it reported its end
    TIMED_OUT = "timed out: the run went past its time limit"
    LOOKS = (
        "it looks at the kit's code (its code objects, frames, files or memory) instead of "
        "testing its behaviour; the run was stopped there"
    )
    BROKE = "it ended early"  # any other way: :attr:`RunEnd.detail` says how


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, and for :attr:`End.BROKE` how exactly."""

    kind: End
    detail: str = ""

    def __str__(self) -> str:
        return self.detail or self.kind.value


class Unreadable(ClassroomError):
    """A run reported something the runner never writes: the submission is not graded."""


@dataclass
class Report:
    """What one run said, once parsed."""

    tests: list[str] = field(default_factory=list)
    ran: dict[str, Ran] = field(default_factory=dict)
    uncollected: list[tuple[str, str]] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    ended: bool = False
    running: str | None = None  # the test that had started and not finished
    covered: dict[str, list[tuple[int, int]]] | None = None  # a hint run's coverage (hints only)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Unreadable(f"a run reported {what} that is not short text")
    return value


def parse(data: bytes) -> Report:
    """Parse a run's output; raise :class:`Unreadable` on anything the runner never writes."""
    if len(data) > MAX_BYTES:
        raise Unreadable(f"a run reported more than {MAX_BYTES >> 20} MiB")
    report = Report()
    listed = False
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        try:
            event = json.loads(line)
        except ValueError:
            raise Unreadable(f"line {number} of a run's report is not JSON") from None
        if not isinstance(event, dict) or report.ended:
            raise Unreadable(f"line {number} of a run's report is not one of the runner's")
        keys = set(event)
        if keys == {"tests"} and not listed:
            names = event["tests"]
            if not isinstance(names, list) or len(names) > MAX_TESTS:
                raise Unreadable("a run's list of tests is not a list, or too long")
            report.tests = [_text(n, "a test name") for n in names]
            if len(set(report.tests)) != len(report.tests):
                raise Unreadable("a run listed a test twice")
            listed = True
        elif keys == {"uncollected"} and not listed:
            what = event["uncollected"]
            if not isinstance(what, list) or len(what) != 2:
                raise Unreadable("a run's collection error is malformed")
            report.uncollected.append((_text(what[0], "a name"), _text(what[1], "a reason")))
        elif keys == {"start"} and listed:
            report.running = _test(report, event["start"])
        elif keys == {"ran", "outcome", "message", "asserted"} and listed:
            name = _test(report, event["ran"])
            if name in report.ran or event["outcome"] not in OUTCOMES:
                raise Unreadable("a run reported a test twice, or an unknown outcome")
            if event["asserted"] not in (True, False, None):
                raise Unreadable("a run's report is malformed (asserted)")
            message = _text(event["message"], "a message")
            report.ran[name] = Ran(event["outcome"], message, event["asserted"])
            report.running = None
        elif keys == {"covered"} and listed and report.covered is None:
            report.covered = _covered(event["covered"])
        elif keys == {"end", "cells"} and event["end"] is True:
            cells = event["cells"]
            if not isinstance(cells, list) or len(cells) > 10_000:
                raise Unreadable("a run's list of cell errors is malformed")
            report.cell_errors = [_text(c, "a cell error") for c in cells]
            report.ended = True
        else:
            raise Unreadable(f"line {number} of a run's report is not one of the runner's")
    return report


def _covered(data: object) -> dict[str, list[tuple[int, int]]]:
    """A hint run's coverage: {kit file: [[from, to], ...]}, line numbers of its copy."""
    if not isinstance(data, dict) or len(data) > 200:
        raise Unreadable("a run's coverage is malformed")
    found = {}
    for file, arcs in data.items():
        if not isinstance(arcs, list) or len(arcs) > 100_000:
            raise Unreadable("a run's coverage is malformed")
        pairs = []
        for arc in arcs:
            if not (
                isinstance(arc, list)
                and len(arc) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in arc)
            ):
                raise Unreadable("a run's coverage is malformed")
            pairs.append((arc[0], arc[1]))
        found[_text(file, "a file name")] = pairs
    return found


def _test(report: Report, index: object) -> str:
    if not isinstance(index, int) or isinstance(index, bool):
        raise Unreadable("a run named a test by something other than its number")
    if not 0 <= index < len(report.tests):
        raise Unreadable("a run reported a test it did not list")
    return report.tests[index]


def start(
    implementation: Implementation,
    cells: Sequence[tuple[str, str]],
    *,
    test_timeout: float,
    run_timeout: float,
    memory_mib: int,
    hide: Sequence[Path],
    isolation: sandbox.Isolation,
    group: Group | None,
    zygote: Zygote | None = None,
    alongside: tuple[Implementation, ...] = (),
    measure: bool = False,
) -> Started:
    """Write the run's copy of the kit and its request into a new scratch folder, and start
    the run in its sandbox: forked from ``zygote``, else a Python started with ``exec``.

    ``alongside``: the other implementations of the catalogue, whose module globals the
    copy binds too (:func:`kitcopy.kit_files`). ``measure``: the hint run, which also
    reports the tests' coverage of its copy (:attr:`Started.lines` maps it back)."""
    scratch = Path(tempfile.mkdtemp(prefix="orderkit-run-"))
    kit = scratch / "kit"
    lines: kitcopy.LineMap = {}
    files = kitcopy.kit_files(implementation, secrets.SystemRandom(), kit, alongside, lines)
    kitcopy.write(files, kit)
    request: dict[str, object] = {"cells": [list(cell) for cell in cells]}
    request["timeout"] = test_timeout
    if measure:
        request["measure"] = True
    (scratch / "request.json").write_text(json.dumps(request), encoding="utf-8")
    output = tempfile.TemporaryFile(prefix="orderkit-run-")  # noqa: SIM115 (closed in end)
    deadline = time.monotonic() + run_timeout * WALL_FACTOR  # CPU is capped inside
    out = output.fileno()

    def boot() -> None:
        os.dup2(out, RESULT_FD)
        os.execv(sys.executable, [sys.executable, "-I", "-B", "-c", _BOOT])

    try:
        if zygote is not None:
            box = zygote.start(
                scratch, out, hide=hide, memory_mib=memory_mib, cpu_seconds=run_timeout, group=group
            )
        else:
            box = sandbox.start(
                boot,
                scratch=scratch,
                hide=hide,
                memory_mib=memory_mib,
                isolation=isolation,
                keep=(out,),
                cpu_seconds=run_timeout,
                group=group,
            )
    except BaseException:
        output.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    started = Started(implementation, box, scratch, output, group, deadline)
    started.lines = lines if measure else None
    return started


class Started:
    """A clean run under way: its sandbox, where its output goes, its deadline."""

    def __init__(
        self,
        implementation: Implementation,
        box: sandbox.Sandboxed,
        scratch: Path,
        output: IO[bytes],
        group: Group | None,
        deadline: float,
    ) -> None:
        self.implementation, self.box, self.scratch = implementation, box, scratch
        self.output, self.group, self.deadline = output, group, deadline
        self.hit_process_limit = False
        self.lines: kitcopy.LineMap | None = None  # the hint run's: its copy's line numbers

    def take(self) -> bool:
        """The sandbox's descriptor is readable only once it ended: the run is over."""
        return True

    @property
    def sentinel(self) -> int:
        return self.box.sentinel

    def end(self, *, kill: bool) -> tuple[Report, RunEnd]:
        """Stop (if ``kill``), reap and parse: the report, and how the run ended if early.

        :attr:`hit_process_limit` says afterwards whether a fork was refused by the bound.
        """
        if kill:
            self.box.kill()
        status, value = self.box.result()
        self.hit_process_limit = self.group is not None and self.group.hit_process_limit()
        self.output.seek(0)
        data = self.output.read(MAX_BYTES + 1)
        self.output.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.group is not None:
            self.group.remove()
        report = parse(data)
        if kill or value == Ending(How.SIGNALLED, signal.SIGXCPU):
            return report, RunEnd(End.TIMED_OUT)
        if status == "died" and value == Ending(How.EXITED, guard.EXIT):
            return report, RunEnd(End.LOOKS)
        if report.ended:
            return report, RunEnd(End.COMPLETE)
        how = f"it ended its grading process ({value})" if status == "died" else str(value)
        return report, RunEnd(End.BROKE, how)
