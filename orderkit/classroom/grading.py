"""Batch grading: every submission in its own process, with limits, in parallel.

Each submission runs in a child forked from this (already warmed-up) process: the child
chdirs into a scratch folder, caps its memory and file sizes, runs the notebook's cells with
IPython (no kernel to start), grades the tests it found exactly as ``check()`` does, and
sends back one small result. The parent kills a child that runs past the time limit. A
child that crashes, exits, floods output or loops forever costs one row, never the run.

Student code runs with your rights: the limits stop accidents and pranks, not an attacker.
Grade untrusted work inside a container or a throw-away machine.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from orderkit.classroom.chaffs import CHAFFS
from orderkit.classroom.exercises import exercise as find_exercise
from orderkit.classroom.implementations import WHEAT, Implementation
from orderkit.classroom.results import CheckResult
from orderkit.errors import ClassroomError

TEST_TIMEOUT = 10.0  # seconds one test may take on one implementation


@dataclass(frozen=True)
class Grade:
    """One submission's row in grades.csv."""

    student: str
    path: Path
    result: CheckResult | None = None
    error: str = ""

    @property
    def score(self) -> float:
        """Percentage of the exercise's bugs caught by valid tests; 0 on error."""
        return 0.0 if self.result is None else round(100 * self.result.score, 1)


def grade_notebook(
    path: Path, exercise_id: str | None = None, *, test_timeout: float = TEST_TIMEOUT
) -> tuple[CheckResult, str]:
    """Run one notebook in *this* process and grade its tests; return (result, notes).

    The batch grader calls this in a child process; call it yourself only on trusted input.
    """
    import nbformat

    from orderkit.classroom import feedback
    from orderkit.classroom.execute import run_notebook
    from orderkit.classroom.results import summarise
    from orderkit.classroom.runner import run_tests

    if path.suffix != ".ipynb":
        raise ClassroomError(f"not a notebook: expected a .ipynb file, got {path.name!r}")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # JSON, schema and encoding errors are all "not a notebook"
        raise ClassroomError(f"not a readable notebook: {type(error).__name__}") from None
    exercise_id = exercise_id or notebook.metadata.get("orderkit", {}).get("exercise")
    chaffs = _chaffs_for(exercise_id)
    feedback._batch_grading = True  # the student's own check() calls do nothing here
    executed = run_notebook(notebook)
    tests, runs = run_tests(executed.module, [WHEAT, *chaffs], timeout=test_timeout)
    result = summarise(tests, runs, WHEAT, chaffs)
    notes = []
    if not result.tests:
        notes.append("no tests found")
    if result.invalid:
        notes.append(f"{len(result.invalid)} test(s) fail on correct code")
    if result.not_written:
        notes.append(f"{len(result.not_written)} test(s) not written")
    if executed.errors:
        notes.append(f"{len(executed.errors)} cell(s) raised, first {executed.errors[0]}"[:200])
    if executed.dropped_output:
        notes.append("output cut off (too long)")
    return result, "; ".join(notes)


def _chaffs_for(exercise_id: str | None) -> tuple[Implementation, ...]:
    return CHAFFS if exercise_id is None else find_exercise(exercise_id).chaffs()


def _child(
    path: Path, exercise_id: str | None, memory_mib: int, test_timeout: float, conn: Connection
) -> None:
    """Body of a grading child: limits, scratch folder, grade, report, exit."""
    scratch = tempfile.mkdtemp(prefix="orderkit-grade-")
    try:
        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        os.chdir(scratch)
        with open(os.devnull, "w") as null:  # the child's own prints must not reach the terminal
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        result, notes = grade_notebook(path, exercise_id, test_timeout=test_timeout)
        conn.send(("ok", result, notes))
    except ClassroomError as error:
        conn.send(("error", None, str(error)))
    except BaseException as error:  # anything the submission did to the grader
        conn.send(("error", None, f"grading failed: {type(error).__name__}: {error}"[:300]))
    finally:
        conn.close()
        shutil.rmtree(scratch, ignore_errors=True)
        os._exit(0)


def _students(paths: Sequence[Path]) -> list[str]:
    """Name each submission: its file name, or its folder's name if file names repeat."""
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    parents = [p.resolve().parent.name for p in paths]
    if len(set(parents)) == len(parents):
        return parents
    return [str(p) for p in paths]


def grade_all(
    paths: Sequence[Path],
    *,
    exercise_id: str | None = None,
    jobs: int | None = None,
    timeout: float = 60.0,
    memory_mib: int = 1024,
    test_timeout: float = TEST_TIMEOUT,
    progress: bool = True,
) -> list[Grade]:
    """Grade every submission, at most ``jobs`` at once; return one :class:`Grade` each."""
    if exercise_id is not None:
        find_exercise(exercise_id)  # an unknown id fails before any work starts
    _warm_up()
    context = multiprocessing.get_context("fork")
    names = _students(paths)
    grades: dict[int, Grade] = {}
    pending = list(range(len(paths)))
    running: dict[Any, tuple[int, Any, Connection, float]] = {}
    jobs = max(1, jobs or os.cpu_count() or 1)
    bar = _progress(len(paths), enabled=progress)
    while pending or running:
        while pending and len(running) < jobs:
            index = pending.pop(0)
            path = paths[index]
            if not path.is_file():
                grades[index] = Grade(names[index], path, error="no such file")
                bar.update(1)
                continue
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(path, exercise_id, memory_mib, test_timeout, send),
                daemon=True,
            )
            process.start()
            send.close()
            running[process.sentinel] = (index, process, receive, time.monotonic() + timeout)
        ready = wait(list(running), timeout=0.05)
        now = time.monotonic()
        for sentinel in list(running):
            index, process, receive, deadline = running[sentinel]
            if sentinel not in ready and now < deadline:
                continue
            del running[sentinel]
            grades[index] = _collect(names[index], paths[index], process, receive, now >= deadline)
            receive.close()
            bar.update(1)
    bar.close()
    return [grades[i] for i in range(len(paths))]


def _collect(student: str, path: Path, process: Any, receive: Connection, late: bool) -> Grade:
    try:
        message = receive.recv() if receive.poll() else None
    except (EOFError, OSError):  # the child died without a word
        message = None
    if message is None and late and process.is_alive():
        process.kill()
        process.join()
        return Grade(student, path, error="timed out: the submission ran past the time limit")
    process.join()
    if message is None:
        code = process.exitcode
        why = (
            f"killed by signal {signal.Signals(-code).name}"
            if code and code < 0
            else (f"exit status {code}")
        )
        return Grade(student, path, error=f"the submission ended the grading process ({why})")
    status, result, notes = message
    if status == "error":
        return Grade(student, path, error=notes)
    return Grade(student, path, result=result, error=notes)


def _warm_up() -> None:
    """Do once, here, what every child would otherwise repeat: imports, the IPython shell,
    and one small pytest run (pytest imports much of itself lazily on first use)."""
    import types

    from IPython.core.interactiveshell import InteractiveShell

    import orderkit.widgets  # noqa: F401
    from orderkit.classroom.runner import run_tests

    InteractiveShell.instance()
    module = types.ModuleType("warm_up")
    exec("def test_nothing():\n    pass\n", module.__dict__)
    run_tests(module, [WHEAT])
    gc.freeze()  # what is loaded now stays shared with the children and out of their gc


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, *, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="notebook", desc="grading", file=sys.stderr)


def expand_submissions(paths: Sequence[Path]) -> list[Path]:
    """Replace each folder by the notebooks in it (recursively, checkpoints left out)."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not found:
                raise ClassroomError(f"{path}: a folder with no .ipynb file in it")
            expanded += found
        else:
            expanded.append(path)
    return expanded


def grade_command(args: argparse.Namespace) -> int:
    """``orderkit grade``: grade, then write grades.csv and report.html into ``--out``."""
    from orderkit.classroom.report import write_report

    started = time.perf_counter()
    grades = grade_all(
        expand_submissions(args.submissions),
        exercise_id=args.exercise,
        jobs=args.jobs,
        timeout=args.timeout,
        memory_mib=args.memory,
        test_timeout=args.test_timeout,
        progress=not args.quiet,
    )
    csv_path, html_path = write_report(grades, args.out)
    took = time.perf_counter() - started
    failed = sum(1 for g in grades if g.result is None)
    print(f"graded {len(grades)} submission(s) in {took:.1f} s ({failed} could not be graded)")
    print(f"wrote {csv_path} and {html_path}")
    return 0
