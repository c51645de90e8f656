"""Grade a class: every submission in its own sandbox, in parallel, rows kept as they finish.

The parent reads each notebook, warms up once (imports, IPython, one pytest run) and forks
a sandboxed child per submission (:mod:`orderkit.classroom.sandbox`): its own session and
process group, and on Linux where allowed its own PID, mount and network namespaces. A
child that crashes, exits, kills, forks, floods or loops costs its own row, never another.

Each finished submission is written at once: a line of ``grades.csv`` and its full result
in ``results/<student>.json``. A run that is stopped loses no finished row, and running the
same command again grades only the submissions that have no row yet (``force`` regrades).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from orderkit.classroom import sandbox
from orderkit.classroom.catalogue import Catalogue
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.results import CheckResult, from_data, to_data

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
    "isolation",
]
GRADED, NOT_GRADED = "graded", "could not be graded"


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


def _child(
    data: bytes, name: str, catalogue: Catalogue, exercise_id: str | None, test_timeout: float
) -> str:
    """In the sandbox: grade one notebook, hand back plain JSON text."""
    from orderkit.classroom.grading import grade_notebook, read_notebook

    try:
        notebook = read_notebook(data, name)
        graded = grade_notebook(notebook, catalogue, exercise_id, test_timeout=test_timeout)
    except ClassroomError as error:
        return json.dumps({"error": str(error)})
    return json.dumps({"result": to_data(graded.result), "notes": graded.notes})


# What students' notebooks import (the lessons teach them): imported once here, not in
# every submission (``unittest.mock`` alone costs a submission ~25 ms; hypothesis ~0.4 s).
STUDENT_IMPORTS = ("unittest", "unittest.mock", "sqlite3", "hypothesis", "hypothesis.strategies")


def _warm_up(catalogue: Catalogue) -> None:
    """Do once, here, what every child would otherwise repeat: imports, IPython, pytest."""
    import importlib
    import importlib.util
    import types

    from IPython.core.interactiveshell import InteractiveShell

    import orderkit.widgets  # noqa: F401
    from orderkit.classroom import grading  # noqa: F401
    from orderkit.classroom.engine import grade

    for name in STUDENT_IMPORTS:
        if importlib.util.find_spec(name.partition(".")[0]) is not None:
            importlib.import_module(name)
    InteractiveShell.instance()
    module = types.ModuleType("warm_up")
    exec("def test_nothing():\n    pass\n", module.__dict__)
    grade(module, catalogue.for_exercise("unit-tests"), jobs=1)
    for implementation in catalogue.implementations:
        implementation.code()  # checked and compiled once, before any child starts
    gc.freeze()  # what is loaded now stays shared with the children and out of their gc


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

    A submission is graded again when its row says it could not be graded, or when the
    file changed since (its digest differs). ``planned`` hears how many will be graded.
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
    if todo:
        _warm_up(catalogue)
    isolation = sandbox.probe()
    hidden = _hidden(paths, out)
    jobs = max(1, jobs or os.cpu_count() or 1)
    running: dict[int, tuple[sandbox.Sandboxed, str, Path, float, Path, str]] = {}
    pending = list(todo)
    while pending or running:
        while pending and len(running) < jobs:
            student, path = pending.pop(0)
            grade = _start(
                student,
                path,
                catalogue,
                exercise_id,
                test_timeout,
                memory_mib,
                hidden,
                isolation,
                timeout,
                running,
            )
            if grade is not None:
                book.add(grade)
                if progress:
                    progress(1)
        if not running:
            continue
        ready = set(wait([box.sentinel for box, *_ in running.values()], timeout=0.1))
        now = time.monotonic()
        for sentinel, (box, student, path, deadline, scratch, digest) in list(running.items()):
            if sentinel not in ready and now < deadline:
                continue
            del running[sentinel]
            late = sentinel not in ready
            if late:
                box.kill()
            book.add(
                replace(_collect(student, path, box, late, timeout, exercise_id), digest=digest)
            )
            shutil.rmtree(scratch, ignore_errors=True)
            if progress:
                progress(1)
    order = {str(p.resolve()): i for i, p in enumerate(paths)}
    grades = sorted(
        (g for g in book.done.values() if g.source in order), key=lambda g: order[g.source]
    )
    book.rewrite(grades)
    return grades, len(todo)


def _start(
    student: str,
    path: Path,
    catalogue: Catalogue,
    exercise_id: str | None,
    test_timeout: float,
    memory_mib: int,
    hidden: list[Path],
    isolation: sandbox.Isolation,
    timeout: float,
    running: dict[int, Any],
) -> Grade | None:
    """Start one submission's sandbox; return a Grade at once if it cannot even start."""
    source = str(path.resolve())
    try:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    except FileNotFoundError:
        return Grade(student, str(path), source, notes="no such file", exercise=exercise_id)
    except OSError as error:
        return Grade(
            student,
            str(path),
            source,
            notes=f"cannot read the file ({error.strerror})",
            exercise=exercise_id,
        )
    scratch = Path(tempfile.mkdtemp(prefix="orderkit-grade-"))
    box = sandbox.start(
        lambda: _child(data, path.name, catalogue, exercise_id, test_timeout),
        scratch=scratch,
        hide=hidden,
        memory_mib=memory_mib,
        isolation=isolation,
    )
    running[box.sentinel] = (box, student, path, time.monotonic() + timeout, scratch, digest)
    return None


def _collect(
    student: str,
    path: Path,
    box: sandbox.Sandboxed,
    late: bool,
    timeout: float,
    exercise_id: str | None,
) -> Grade:
    status, value = box.result()
    base: dict[str, Any] = {
        "student": student,
        "file": str(path),
        "source": str(path.resolve()),
        "isolation": box.isolation.detail,
    }
    if late:
        return Grade(
            **base,
            notes=f"timed out: the submission ran past the time limit of {timeout:g} s",
            exercise=exercise_id,
        )
    if status == "died":
        return Grade(
            **base,
            notes=f"the submission ended its grading process ({value})",
            exercise=exercise_id,
        )
    if status == "error":
        return Grade(**base, notes=f"grading failed: {value}", exercise=exercise_id)
    data = json.loads(str(value))
    if "error" in data:
        return Grade(**base, notes=data["error"], exercise=exercise_id)
    result = from_data(data["result"])
    if result.error:
        return Grade(
            **base, notes=f"the grader failed on it: {result.error}", exercise=result.exercise
        )
    return Grade(**base, result=result, notes=data["notes"], exercise=result.exercise)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _hidden(paths: Sequence[Path], out: Path) -> list[Path]:
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
    needed |= {Path(__file__).resolve().parents[1]}  # the orderkit package
    needed |= {
        Path(p).resolve() for p in sys.path if p and Path(p).is_dir() and "site-packages" in p
    }
    protect = {p.resolve().parent for p in paths} | {out.resolve(), Path.cwd().resolve()}
    protect |= {Path.home().resolve(), Path(__file__).resolve().parents[2], Path("/run")}
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
