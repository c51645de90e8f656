"""Grade a class: clean sandboxed runs per submission, verdicts decided here, rows kept.

This process reads each notebook as data and never runs its code. Each submission is run
once per implementation of its schedule (:mod:`orderkit.classroom.batch.plan`), every time in a
fresh Python inside its own sandbox (:mod:`orderkit.classroom.batch.cleanrun`); the runs report
raw outcomes, which are parsed here as untrusted data, and the verdicts, catches and score
are computed here. A run that crashes, exits, kills, forks, floods, loops or writes a
malformed report costs its own submission's row, never another's.

Each finished submission is written at once (:mod:`orderkit.classroom.batch.gradebook`): a
line of ``grades.csv`` and its full result in ``results/<student>.json``. A run that is
stopped loses no finished row, and running the same command again grades only the
submissions that have no row yet, whose file changed, or whose row another catalogue, kit
or set of options graded (``force`` regrades all).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orderkit.classroom.batch import cleanrun, kitcopy, limits, plan, sandbox
from orderkit.classroom.batch.cleanrun import End, Report, RunEnd
from orderkit.classroom.batch.gradebook import Book, Grade, Provenance, now
from orderkit.classroom.batch.submissions import Found, exercises_in
from orderkit.classroom.batch.zygote import Zygote
from orderkit.classroom.bugs.catalogue import Catalogue, Implementation
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading import hints
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.grading.results import every_test_valid, summarise, teacher_notes
from orderkit.classroom.processes import loop
from orderkit.classroom.runtime.measure import Arcs
from orderkit.classroom.runtime.testrun import Outcome, Ran

RAISES = "raises-exception"
"""The tag of a cell whose error is its lesson (nbval's): the batch does not note it."""


NO_ZYGOTE = "ORDERKIT_NO_ZYGOTE"
"""Set to 1 to start every run with ``exec`` instead of forking it from the clean zygote."""


@dataclass
class _Submission:
    """One notebook being graded: its runs' reports as they come in."""

    found: Found
    path: Path
    digest: str
    cells: list[tuple[str, str]] = field(default_factory=list)
    meant_to_fail: set[int] = field(default_factory=set)  # cells tagged raises-exception
    exercise: str | None = None
    catalogue: Catalogue | None = None
    pending: int = 0
    reports: list[tuple[Implementation, Report]] = field(default_factory=list)
    error: str = ""
    limits: set[str] = field(default_factory=set)
    planned: bool = False  # the second part of the schedule is in the queue
    looked: bool = False  # a cell looked at the kit's code: no test is graded, score 0
    endings: list[tuple[Implementation, RunEnd]] = field(default_factory=list)  # how runs ended
    graded_by: str = ""  # the provenance's key
    max_points: float = 100.0
    hinted: bool = False  # the hint run was considered (made only if every test is valid)
    arcs: Arcs | None = None  # the hint run's coverage, in the kit's own line numbers


def _read(found: Found, catalogue: Catalogue, exercise_id: str | None) -> _Submission:
    """Read and parse a submission here, in the grader (data only: no cell runs here)."""
    from orderkit.classroom.grading.notebooks import exercise_of, read_notebook

    path = found.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _Submission(found, path, "", error="no such file", exercise=exercise_id)
    except OSError as error:
        reason = f"cannot read the file ({error.strerror})"
        return _Submission(found, path, "", error=reason, exercise=exercise_id)
    submission = _Submission(found, path, hashlib.sha256(data).hexdigest())
    try:
        notebook = read_notebook(data, path.name)
        given = found.exercise or exercise_id
        submission.exercise = exercise_of(notebook, given, catalogue.exercises)
    except ClassroomError as error:
        submission.error = str(error)
        submission.exercise = exercise_id
        return submission
    submission.catalogue = catalogue.for_exercise(submission.exercise)
    for number, cell in enumerate(notebook.cells, start=1):
        text = cell.get("source", "")
        if cell.get("cell_type") == "code" and isinstance(text, str) and text.strip():
            submission.cells.append((str(cell.get("id") or f"cell-{number}"), text))
            if RAISES in cell.get("metadata", {}).get("tags", ()):
                submission.meant_to_fail.add(len(submission.cells))
    return submission


def _unexpected(errors: Sequence[str], meant_to_fail: set[int]) -> list[str]:
    """The cell errors a teacher should read: not those of cells meant to fail.

    A run names an error by the cell's position among the code cells it ran, ``cell N: ...``;
    what the run wrote otherwise (its report is the submission's to forge) is kept.
    """
    kept = []
    for error in errors:
        number = re.match(r"cell (\d+): ", error)
        if number is None or int(number[1]) not in meant_to_fail:
            kept.append(error)
    return kept


def grade_all(
    paths: Sequence[Path | Found],
    out: Path,
    catalogue: Catalogue,
    *,
    exercise_id: str | None = None,
    jobs: int | None = None,
    timeout: float = SUBMISSION_TIMEOUT,
    memory_mib: int = MEMORY_MIB,
    test_timeout: float = TEST_TIMEOUT,
    force: bool = False,
    points: Mapping[str, float] | None = None,
    progress: Callable[[int], Any] | None = None,
    planned: Callable[[int], Any] | None = None,
    told: Callable[[str], Any] | None = None,
) -> tuple[list[Grade], int]:
    """Grade what ``out`` has no good row for; return (every grade, how many were new).

    ``paths`` are notebooks, or submissions already named
    (:func:`orderkit.classroom.batch.submissions.collect`). Each submission is graded by
    clean runs (:mod:`orderkit.classroom.batch.cleanrun`), one per implementation of its
    schedule (:mod:`orderkit.classroom.batch.plan`), at most ``jobs`` at once; ``timeout``
    bounds each run (CPU time, and wall-clock time as a backstop). This process never runs a
    submission's code: it reads the runs' reports as untrusted data and decides every
    verdict itself. A submission is graded again when its row says it could not be graded,
    when the file changed since (its digest differs), or when its row was graded by another
    kit, catalogue or options (:class:`Provenance`). ``points`` gives an exercise's maximum
    points (100 when not given). ``planned`` hears how many will be graded, ``told`` why
    rows kept from before are graded again.
    """
    plain = [p for p in paths if not isinstance(p, Found)]
    names = iter(students(plain))
    every: list[Found] = []
    for given in paths:
        if isinstance(given, Found):
            every.append(given)
        else:  # a plain path: named by its file, one submission per exercise it holds
            name = next(names)
            every += [Found(given, name, exercise=e) for e in exercises_in(given, exercise_id)]
    provenance = Provenance.of(
        catalogue,
        [kitcopy.KIT / p for p in kitcopy.kit_paths()],
        exercise=exercise_id,
        timeout=timeout,
        memory_mib=memory_mib,
        test_timeout=test_timeout,
    )
    book = Book.open(out, force=force, provenance=provenance)
    todo = []
    for each in every:
        kept = book.done.get(each.key)
        if kept is None or not kept.graded or kept.digest != _digest(each.path):
            todo.append(each)
    again = sum(f.key in book.stale for f in todo)
    if again and told:
        told(
            f"{again} row(s) graded again: graded before with another kit, catalogue or options "
            f"(now {provenance.key}; see {out / 'provenance.json'})"
        )
    if planned:
        planned(len(todo))
    isolation = sandbox.probe() if todo else None
    files = [f.path for f in every]
    hidden = _hidden(files, out, catalogue)
    jobs = max(1, jobs or os.cpu_count() or 1)
    queue: deque[_Entry] = deque()
    for one in todo:
        submission = _read(one, catalogue, exercise_id)
        submission.graded_by = provenance.key
        submission.max_points = (points or {}).get(submission.exercise or "", 100.0)
        if submission.error or submission.catalogue is None:
            _finish(book, submission, isolation, timeout, progress)
            continue
        runs = plan.first(submission.catalogue)
        submission.pending = len(runs)
        queue.extend((submission, implementation, False) for implementation in runs)
    namespaced = isolation is not None and isolation.kind == "namespaces"
    zygote = Zygote() if queue and namespaced and os.environ.get(NO_ZYGOTE) != "1" else None
    try:
        _loop(
            book,
            queue,
            isolation,
            hidden,
            jobs,
            timeout,
            memory_mib,
            test_timeout,
            zygote,
            progress,
        )
    finally:
        if zygote is not None:
            zygote.close()
    limits.release()
    order = {f.key: i for i, f in enumerate(every)}
    grades = sorted((g for g in book.done.values() if g.key in order), key=lambda g: order[g.key])
    book.rewrite(grades)
    book.drop_stale()
    book.write_provenance(
        provenance,
        isolation={"ns": sandbox.NAMESPACES, "pg": "process group only (no namespaces)"},
        graded_from=min((g.graded_at for g in grades if g.graded_at), default=""),
        graded_to=max((g.graded_at for g in grades if g.graded_at), default=""),
    )
    return grades, len(todo)


def students(paths: Sequence[Path]) -> list[str]:
    """Name each submission: its file name, or its folder's name if file names repeat."""
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    parents = [p.resolve().parent.name for p in paths]
    if len(set(parents)) == len(parents):
        return parents
    return [str(p) for p in paths]


_Entry = tuple[_Submission, Implementation, bool]
"""A run to make: the submission, the implementation, whether it is the hint run."""


def _loop(
    book: Book,
    queue: deque[_Entry],
    isolation: sandbox.Isolation | None,
    hidden: list[Path],
    jobs: int,
    timeout: float,
    memory_mib: int,
    test_timeout: float,
    zygote: Zygote | None,
    progress: Callable[[int], Any] | None,
) -> None:
    """Start runs up to ``jobs`` at once (:func:`loop.run`); take each one's report as it
    ends, and plan a submission's second runs once its first ones are over, and its hint
    run once all those are over and every test is valid."""

    def start(entry: _Entry) -> cleanrun.Started | None:
        submission, implementation, measure = entry
        if submission.error or submission.looked:  # its other runs would change nothing
            submission.pending -= 1
            if submission.pending == 0:
                _finish(book, submission, isolation, timeout, progress)
            return None
        assert isolation is not None
        return cleanrun.start(
            implementation,
            submission.cells,
            test_timeout=test_timeout,
            run_timeout=timeout,
            memory_mib=memory_mib,
            hide=hidden,
            isolation=isolation,
            group=limits.new_group(),
            zygote=zygote,
            alongside=submission.catalogue.implementations if submission.catalogue else (),
            measure=measure,
        )

    def ended(entry: _Entry, started: cleanrun.Started, late: bool) -> None:
        submission, _, measure = entry
        if measure:
            _measured(submission, started, late=late)
        else:
            _ended(submission, started, late=late)
        submission.pending -= 1
        done = submission.error or submission.looked
        if submission.pending == 0 and not submission.planned and not done:
            assert submission.catalogue is not None
            submission.planned = True
            more = plan.second(submission.catalogue, submission.reports)
            submission.pending = len(more)
            queue.extendleft((submission, i, False) for i in more)  # finish what is begun first
        if submission.pending == 0 and submission.planned and not submission.hinted and not done:
            submission.hinted = True
            assert submission.catalogue is not None
            catalogue = submission.catalogue
            raw = plan.assemble(submission.reports, catalogue, "")
            if hints.wanted() and every_test_valid(raw, catalogue):
                submission.pending = 1
                queue.appendleft((submission, catalogue.of_kind("wheat")[0], True))
        if submission.pending == 0:
            _finish(book, submission, isolation, timeout, progress)

    loop.run(queue, start, ended, jobs)


def _ended(submission: _Submission, started: cleanrun.Started, *, late: bool) -> None:
    """Take a finished run's report into its submission (or the reason it has none)."""
    try:
        report, end = started.end(kill=late)
    except cleanrun.Unreadable as error:
        submission.error = f"could not read a run's result: {error}"
        return
    if late or end.kind is End.TIMED_OUT:
        submission.limits.add("time")
    if started.hit_process_limit:
        submission.limits.add("processes")
    running = report.running
    if end.kind is not End.COMPLETE and running is not None and running not in report.ran:
        outcome: Outcome = _OUTCOME_OF.get(end.kind, "failed")
        report.ran[running] = Ran(outcome, str(end))
    elif end.kind is End.LOOKS:
        submission.looked = True
    submission.reports.append((started.implementation, report))
    submission.endings.append((started.implementation, end))


def _measured(submission: _Submission, started: cleanrun.Started, *, late: bool) -> None:
    """Take the hint run's coverage, if it got to its end: it feeds the hints alone. Its
    outcomes, how it ended and what it reported otherwise change no verdict, limit or note
    (a test may behave differently with a tracer on: that changes only the hints)."""
    try:
        report, end = started.end(kill=late)
    except cleanrun.Unreadable:
        return
    if end.kind is End.COMPLETE and report.covered is not None and started.lines is not None:
        submission.arcs = kitcopy.original_arcs(report.covered, started.lines)


_OUTCOME_OF: dict[End, Outcome] = {End.TIMED_OUT: "timeout", End.LOOKS: "inspects"}
"""The outcome of the test that was running when its run ended early, by how it ended."""


def _finish(
    book: Book,
    submission: _Submission,
    isolation: sandbox.Isolation | None,
    timeout: float,
    progress: Callable[[int], Any] | None,
) -> None:
    """All runs of a submission are in: decide its row here, from their reports alone."""
    book.add(_decide(submission, isolation, timeout))
    if progress:
        progress(1)


def _decide(submission: _Submission, isolation: sandbox.Isolation | None, timeout: float) -> Grade:
    found = submission.found
    base: dict[str, Any] = {
        "student": found.student,
        "file": str(submission.path),
        "source": str(submission.path.resolve()),
        "isolation": "" if isolation is None else isolation.detail,
        "isolation_kind": "" if isolation is None else isolation.kind,
        "exercise": submission.exercise,
        "digest": submission.digest,
        "limits": " ".join(sorted(submission.limits)),
        "student_id": found.student_id,
        "lms_id": found.lms_id,
        "email": found.email,
        "late": found.late,
        "submitted": found.submitted,
        "older": found.older,
        "max_points": submission.max_points,
        "graded_by": submission.graded_by,
        "graded_at": now(),
    }
    if submission.error or submission.catalogue is None:
        return Grade(**base, notes=submission.error or "could not be graded")
    catalogue = submission.catalogue
    if submission.looked:  # its tests never ran: nothing caught, and the teacher is told why
        result = summarise(Raw(isolation=base["isolation"]), catalogue, submission.exercise)
        return Grade(**base, result=result, notes=f"a cell {End.LOOKS.value}; no test was run")
    raw = plan.assemble(submission.reports, catalogue, base["isolation"])
    raw.arcs = submission.arcs
    reference_name = catalogue.of_kind("wheat")[0].name
    reference = [r for i, r in submission.reports if i.name == reference_name]
    if not raw.tests and not any(r.ended for r in reference):
        ended = next((str(e) for i, e in submission.endings if i.name == reference_name), "")
        if "time" in submission.limits:
            why = f"timed out: the notebook ran past the time limit of {timeout:g} s"
        else:
            why = f"the notebook {ended or 'ended'} before its tests were collected"
        return Grade(**base, notes=why)
    result = summarise(raw, catalogue, submission.exercise)
    errors = next((r.cell_errors for r in reference if r.ended), [])
    cut_off = any("OutputFlood" in error for error in errors)
    errors = _unexpected(errors, submission.meant_to_fail)
    return Grade(**base, result=result, notes=teacher_notes(result, errors, cut_off))


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _hidden(paths: Sequence[Path], out: Path, catalogue: Catalogue) -> list[Path]:
    """Folders a submission must not read: wherever the class's work and solutions may be.

    The submissions' folders, the grades, the folder the grader runs from, the home
    folder, the kit's checkout (its instructor notebooks hold the solutions) and /run (the
    system's sockets, such as Docker's) are hidden, except the parts the grading process
    itself needs: Python, the virtual environment, the kit's package and the temporary
    folder.
    """
    needed = {
        Path(p).resolve()
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir())
    }
    needed |= {
        Path(p).resolve() for p in sys.path if p and Path(p).is_dir() and "site-packages" in p
    }
    protect = {p.resolve().parent for p in paths} | {out.resolve(), Path.cwd().resolve()}
    protect |= {Path.home().resolve(), Path(__file__).resolve().parents[3], Path("/run")}
    hidden: set[Path] = set()

    def cover(folder: Path, depth: int) -> None:
        inside = [n for n in needed if n == folder or folder in n.parents]
        if not inside:
            hidden.add(folder)
        elif folder not in needed and depth < 4:
            try:
                children = [c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()]
            except OSError:
                return
            for child in children:
                cover(child, depth + 1)

    for folder in protect:
        if folder.is_dir() and folder != Path(folder.anchor):
            cover(folder, 0)
    kit = Path(__file__).resolve().parents[2]
    for extra in (kit, *(Path(f).resolve() for f in catalogue.files)):
        if extra.exists() and not any(h == extra or h in extra.parents for h in hidden):
            hidden.add(extra)
    return sorted(f for f in hidden if not any(o in f.parents for o in hidden))  # outermost


def summary(grades: Sequence[Grade], new: int, took: float) -> Iterator[str]:
    """The lines a teacher reads at the end: counts, then every reason, one per line."""
    failed = [g for g in grades if not g.graded]
    yield (
        f"graded {len(grades) - len(failed)} of {len(grades)}; {len(failed)} could not be graded"
        f" ({new} graded now in {took:.1f} s, {len(grades) - new} kept from before)"
    )
    for grade in failed:
        yield f"  {grade.file}: {grade.notes}"
