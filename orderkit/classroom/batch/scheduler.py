"""Grade a class: clean sandboxed runs per submission, verdicts decided here, rows kept.

This process reads each notebook as data and never runs its code. Each submission is run
once per implementation of its schedule (:mod:`orderkit.classroom.batch.plan`), every time in a
fresh Python inside its own sandbox (:mod:`orderkit.classroom.batch.cleanrun`); the runs report
raw outcomes, which are parsed here as untrusted data, and the verdicts, catches and score
are computed here. A run that crashes, exits, kills, forks, floods, loops or writes a
malformed report costs its own submission's row, never another's.

Each finished submission is written at once: a line of ``grades.csv`` and its full result
in ``results/<student>.json``. A run that is stopped loses no finished row, and running the
same command again grades only the submissions that have no row yet (``force`` regrades).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from orderkit.classroom.batch import cleanrun, limits, plan, sandbox
from orderkit.classroom.batch.cleanrun import Report
from orderkit.classroom.batch.zygote import Zygote
from orderkit.classroom.bugs.catalogue import Catalogue, Implementation
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.grading.results import (
    CheckResult,
    from_data,
    summarise,
    teacher_notes,
    to_data,
)
from orderkit.classroom.runtime.testrun import Outcome, Ran

CSV_COLUMNS = [
    "student",
    "file",
    "exercise",
    "status",
    "score",
    "caught",
    "total",
    "tests",
    "valid_tests",
    "not_valid",
    "not_written",
    "notes",
    "limits",
    "isolation",
]
GRADED, NOT_GRADED = "graded", "could not be graded"
NO_ZYGOTE = "ORDERKIT_NO_ZYGOTE"
"""Set to 1 to start every run with ``exec`` instead of forking it from the clean zygote."""


@dataclass(frozen=True)
class Grade:
    """One submission's row: a result, or why there is none."""

    student: str
    file: str  # as the teacher named it (relative paths stay relative)
    source: str  # the absolute path: what a later run recognises
    result: CheckResult | None = None
    notes: str = ""
    isolation: str = ""
    exercise: str | None = None
    digest: str = ""  # sha256 of the file graded: a changed file is graded again
    limits: str = ""  # limits the submission ran into: "time", "processes"

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def score(self) -> float | None:
        """Percentage of the exercise's bugs caught; ``None`` when it could not be graded."""
        return None if self.result is None else round(100 * self.result.score, 1)

    def row(self) -> list[Any]:
        """The CSV row; text a spreadsheet would read as a formula gets a leading quote."""
        return [_plain(value) for value in self._row()]

    def _row(self) -> list[Any]:
        r = self.result
        return [
            self.student,
            self.file,
            self.exercise or "",
            GRADED if r is not None else NOT_GRADED,
            "" if self.score is None else f"{self.score:.1f}",
            "" if r is None else r.caught,
            "" if r is None else len(r.chaffs),
            "" if r is None else len(r.tests),
            "" if r is None else len(r.valid),
            "" if r is None else len(r.invalid),
            "" if r is None else len(r.not_written),
            " ".join(self.notes.split()),  # one line: gradebooks mis-read quoted newlines
            self.limits,
            self.isolation,
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "file": self.file,
            "source": self.source,
            "result": None if self.result is None else to_data(self.result),
            "notes": self.notes,
            "isolation": self.isolation,
            "exercise": self.exercise,
            "digest": self.digest,
            "limits": self.limits,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Grade:
        result = data.get("result")
        return cls(
            data["student"],
            data["file"],
            data["source"],
            None if result is None else from_data(result),
            data.get("notes", ""),
            data.get("isolation", ""),
            data.get("exercise"),
            data.get("digest", ""),
            data.get("limits", ""),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def expand(paths: Sequence[Path]) -> list[Path]:
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


def students(paths: Sequence[Path]) -> list[str]:
    """Name each submission: its file name, or its folder's name if file names repeat."""
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    parents = [p.resolve().parent.name for p in paths]
    if len(set(parents)) == len(parents):
        return parents
    return [str(p) for p in paths]


@dataclass
class Book:
    """The output folder: grades.csv, one JSON per submission, what is already there."""

    out: Path
    done: dict[str, Grade] = field(default_factory=dict)

    @classmethod
    def open(cls, out: Path, *, force: bool) -> Book:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results").mkdir(exist_ok=True)
        book = cls(out)
        if force:
            for old in (out / "results").glob("*.json"):
                old.unlink()
            (out / "grades.csv").unlink(missing_ok=True)
        for saved in sorted((out / "results").glob("*.json")):
            try:
                grade = Grade.from_data(json.loads(saved.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):
                continue  # a file cut short by a crash: grade that one again
            book.done[grade.source] = grade
        book.rewrite(list(book.done.values()))
        return book

    def add(self, grade: Grade) -> None:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", grade.student)[:60].strip("_") or "student"
        tag = hashlib.sha256(grade.source.encode()).hexdigest()[:8]  # names may look alike
        target = self.out / "results" / f"{name}-{tag}.json"
        partial = target.with_suffix(".json.part")
        partial.write_text(json.dumps(grade.to_data(), indent=1), encoding="utf-8")
        os.replace(partial, target)  # a crash leaves the old file or the new one, never half
        self.done[grade.source] = grade
        with (self.out / "grades.csv").open("a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(grade.row())

    def rewrite(self, grades: Sequence[Grade]) -> None:
        """grades.csv anew, in this order (at the start, and in submission order at the end)."""
        partial = self.out / "grades.csv.part"
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for grade in grades:
                writer.writerow(grade.row())
        os.replace(partial, self.out / "grades.csv")


@dataclass
class _Submission:
    """One notebook being graded: its runs' reports as they come in."""

    student: str
    path: Path
    digest: str
    cells: list[tuple[str, str]] = field(default_factory=list)
    exercise: str | None = None
    catalogue: Catalogue | None = None
    pending: int = 0
    reports: list[tuple[Implementation, Report]] = field(default_factory=list)
    error: str = ""
    limits: set[str] = field(default_factory=set)
    planned: bool = False  # the second part of the schedule is in the queue
    looked: bool = False  # a cell looked at the kit's code: no test is graded, score 0
    endings: list[tuple[Implementation, str]] = field(default_factory=list)  # how runs ended


def _read(student: str, path: Path, catalogue: Catalogue, exercise_id: str | None) -> _Submission:
    """Read and parse a submission here, in the grader (data only: no cell runs here)."""
    from orderkit.classroom.grading.notebooks import exercise_of, read_notebook

    source = str(path.resolve())
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _Submission(student, path, "", error="no such file", exercise=exercise_id)
    except OSError as error:
        reason = f"cannot read the file ({error.strerror})"
        return _Submission(student, path, "", error=reason, exercise=exercise_id)
    submission = _Submission(student, path, hashlib.sha256(data).hexdigest())
    try:
        notebook = read_notebook(data, path.name)
        submission.exercise = exercise_of(notebook, exercise_id, catalogue.exercises)
    except ClassroomError as error:
        submission.error = str(error)
        submission.exercise = exercise_id
        return submission
    submission.catalogue = catalogue.for_exercise(submission.exercise)
    for number, cell in enumerate(notebook.cells, start=1):
        text = cell.get("source", "")
        if cell.get("cell_type") == "code" and isinstance(text, str) and text.strip():
            submission.cells.append((str(cell.get("id") or f"cell-{number}"), text))
    del source
    return submission


def grade_all(
    paths: Sequence[Path],
    out: Path,
    catalogue: Catalogue,
    *,
    exercise_id: str | None = None,
    jobs: int | None = None,
    timeout: float = SUBMISSION_TIMEOUT,
    memory_mib: int = MEMORY_MIB,
    test_timeout: float = TEST_TIMEOUT,
    force: bool = False,
    progress: Callable[[int], Any] | None = None,
    planned: Callable[[int], Any] | None = None,
) -> tuple[list[Grade], int]:
    """Grade what ``out`` has no good row for; return (every grade, how many were new).

    Each submission is graded by clean runs (:mod:`orderkit.classroom.batch.cleanrun`), one per
    implementation of its schedule (:mod:`orderkit.classroom.batch.plan`), at most ``jobs`` at
    once; ``timeout`` bounds each run (CPU time, and wall-clock time as a backstop). This
    process never runs a submission's code: it reads the runs' reports as untrusted data
    and decides every verdict itself. A submission is graded again when its row says it
    could not be graded, or when the file changed since (its digest differs).
    ``planned`` hears how many will be graded.
    """
    book = Book.open(out, force=force)
    names = students(paths)
    todo = []
    for name, path in zip(names, paths, strict=True):
        kept = book.done.get(str(path.resolve()))
        if kept is None or not kept.graded or kept.digest != _digest(path):
            todo.append((name, path))
    if planned:
        planned(len(todo))
    isolation = sandbox.probe() if todo else None
    hidden = _hidden(paths, out, catalogue)
    jobs = max(1, jobs or os.cpu_count() or 1)
    queue: deque[tuple[_Submission, Implementation]] = deque()
    for student, path in todo:
        submission = _read(student, path, catalogue, exercise_id)
        if submission.error or submission.catalogue is None:
            _finish(book, submission, "", timeout, progress)
            continue
        runs = plan.first(submission.catalogue)
        submission.pending = len(runs)
        queue.extend((submission, implementation) for implementation in runs)
    running: dict[int, tuple[_Submission, cleanrun.Started]] = {}
    namespaced = isolation is not None and isolation.kind == "namespaces"
    zygote = Zygote() if queue and namespaced and os.environ.get(NO_ZYGOTE) != "1" else None
    try:
        _loop(
            book,
            queue,
            running,
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
    order = {str(p.resolve()): i for i, p in enumerate(paths)}
    grades = sorted(
        (g for g in book.done.values() if g.source in order), key=lambda g: order[g.source]
    )
    book.rewrite(grades)
    return grades, len(todo)


def _loop(
    book: Book,
    queue: deque[tuple[_Submission, Implementation]],
    running: dict[int, tuple[_Submission, cleanrun.Started]],
    isolation: sandbox.Isolation | None,
    hidden: list[Path],
    jobs: int,
    timeout: float,
    memory_mib: int,
    test_timeout: float,
    zygote: Zygote | None,
    progress: Callable[[int], Any] | None,
) -> None:
    """Start runs up to ``jobs`` at once; take each one's report as it ends."""
    while queue or running:
        while queue and len(running) < jobs:
            submission, implementation = queue.popleft()
            if submission.error or submission.looked:  # its other runs would change nothing
                submission.pending -= 1
                if submission.pending == 0:
                    _finish(book, submission, _detail(isolation), timeout, progress)
                continue
            assert isolation is not None
            started = cleanrun.Started(
                implementation,
                submission.cells,
                test_timeout=test_timeout,
                run_timeout=timeout,
                memory_mib=memory_mib,
                hide=hidden,
                isolation=isolation,
                group=limits.new_group(),
                zygote=zygote,
            )
            running[started.sentinel] = (submission, started)
        if not running:
            continue
        ready = set(wait(list(running), timeout=0.1))
        for sentinel, (submission, started) in list(running.items()):
            late = sentinel not in ready and started.overdue()
            if sentinel not in ready and not late:
                continue
            del running[sentinel]
            _ended(submission, started, late=late)
            submission.pending -= 1
            done = submission.error or submission.looked
            if submission.pending == 0 and not submission.planned and not done:
                assert submission.catalogue is not None
                submission.planned = True
                more = plan.second(submission.catalogue, submission.reports)
                submission.pending = len(more)
                queue.extendleft((submission, i) for i in more)  # finish what is begun first
            if submission.pending == 0:
                _finish(book, submission, _detail(isolation), timeout, progress)


def _ended(submission: _Submission, started: cleanrun.Started, *, late: bool) -> None:
    """Take a finished run's report into its submission (or the reason it has none)."""
    try:
        report, how = started.end(kill=late)
    except cleanrun.Unreadable as error:
        submission.error = f"could not read a run's result: {error}"
        return
    if late or how == cleanrun.TIMED_OUT:
        submission.limits.add("time")
    if started.hit_process_limit:
        submission.limits.add("processes")
    if how and report.running is not None and report.running not in report.ran:
        outcome: Outcome = "timeout" if how == cleanrun.TIMED_OUT else "failed"
        report.ran[report.running] = Ran("inspects" if how == cleanrun.LOOKS else outcome, how)
    elif how == cleanrun.LOOKS:
        submission.looked = True
    submission.reports.append((started.implementation, report))
    submission.endings.append((started.implementation, how))


def _detail(isolation: sandbox.Isolation | None) -> str:
    return "" if isolation is None else isolation.detail


def _finish(
    book: Book,
    submission: _Submission,
    isolation: str,
    timeout: float,
    progress: Callable[[int], Any] | None,
) -> None:
    """All runs of a submission are in: decide its row here, from their reports alone."""
    book.add(_decide(submission, isolation, timeout))
    if progress:
        progress(1)


def _decide(submission: _Submission, isolation: str, timeout: float) -> Grade:
    base: dict[str, Any] = {
        "student": submission.student,
        "file": str(submission.path),
        "source": str(submission.path.resolve()),
        "isolation": isolation,
        "exercise": submission.exercise,
        "digest": submission.digest,
        "limits": " ".join(sorted(submission.limits)),
    }
    if submission.error or submission.catalogue is None:
        return Grade(**base, notes=submission.error or "could not be graded")
    catalogue = submission.catalogue
    if submission.looked:  # its tests never ran: nothing caught, and the teacher is told why
        result = summarise(Raw(isolation=isolation), catalogue, submission.exercise)
        return Grade(**base, result=result, notes=f"a cell {cleanrun.LOOKS}; no test was run")
    raw = plan.assemble(submission.reports, catalogue, isolation)
    reference_name = catalogue.of_kind("wheat")[0].name
    reference = [r for i, r in submission.reports if i.name == reference_name]
    if not raw.tests and not any(r.ended for r in reference):
        ended = next((h for i, h in submission.endings if i.name == reference_name), "")
        if "time" in submission.limits:
            why = f"timed out: the notebook ran past the time limit of {timeout:g} s"
        else:
            why = f"the notebook {ended or 'ended'} before its tests were collected"
        return Grade(**base, notes=why)
    result = summarise(raw, catalogue, submission.exercise)
    errors = next((r.cell_errors for r in reference if r.ended), [])
    cut_off = any("OutputFlood" in error for error in errors)
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
