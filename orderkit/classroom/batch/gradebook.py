"""The grades a class run leaves: one row per submission, what graded it, and the files.

A :class:`Grade` is one submission's row: its result (or why there is none), who it is
from, whether it was late, its points, and the :class:`Provenance` that graded it (the
digests of the catalogues and of the kit that ran, the kit's version and the options that
change a grade). A :class:`Book` is the output folder: ``grades.csv``, one JSON file per
submission in ``results/`` and ``provenance.json`` beside them. When the book is opened
with a provenance other than a row's, that row is graded again: a class's rows never mix
catalogues or options, so every mean is over one denominator.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.grading.results import CheckResult, from_data, to_data
from orderkit.classroom.grading.student_view import percent, points

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
    "points",
    "max_points",
    "id",
    "email",
    "late",
    "submitted",
    "other_files",
    "graded_at",
    "graded_by",
]
GRADED, NOT_GRADED = "graded", "could not be graded"
PROVENANCE = "provenance.json"
ISOLATION_CODES = {"namespaces": "ns", "process-group": "pg"}
"""The isolation column's short codes; the report's legend and provenance.json say them in full."""


@dataclass(frozen=True)
class Provenance:
    """What decides a grade besides the notebook: kit, catalogues, options.

    ``key`` is a digest of all of it: two runs with the same key grade a notebook alike.
    """

    kit_version: str
    kit_digest: str  # sha256 over the kit files a run loads
    catalogues: tuple[tuple[str, str], ...]  # (file, sha256)
    options: tuple[tuple[str, str], ...]  # (name, value), those that change a grade

    @property
    def key(self) -> str:
        text = json.dumps([self.kit_version, self.kit_digest, self.catalogues, self.options])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kit_version": self.kit_version,
            "kit_digest": self.kit_digest,
            "catalogues": [{"file": f, "sha256": d} for f, d in self.catalogues],
            "options": dict(self.options),
        }

    @classmethod
    def of(cls, catalogue: Catalogue, kit_files: Sequence[Path], **options: object) -> Provenance:
        """The provenance of grading with ``catalogue`` on the kit's ``kit_files``."""
        from orderkit import __version__

        kit = hashlib.sha256()
        for path in sorted(kit_files):
            kit.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        digests = tuple((str(f), _sha256(Path(f))) for f in catalogue.files)
        chosen = tuple(sorted((k, "" if v is None else str(v)) for k, v in options.items()))
        return cls(__version__, kit.hexdigest(), digests, chosen)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def row_key(source: str, exercise: str | None) -> str:
    """A row's identity: a notebook's absolute path and the exercise graded of it (a
    notebook holding several exercises has a row for each)."""
    return f"{source}#{exercise or ''}"


def now() -> str:
    """The time now, ISO 8601 in UTC to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Grade:
    """One submission's row: a result, or why there is none; who, when, graded by what."""

    student: str
    file: str  # as the teacher named it (relative paths stay relative)
    source: str  # the absolute path: what a later run recognises
    result: CheckResult | None = None
    notes: str = ""
    isolation: str = ""  # the sandbox's full description
    exercise: str | None = None
    digest: str = ""  # sha256 of the file graded: a changed file is graded again
    limits: str = ""  # limits the submission ran into: "time", "processes"
    student_id: str = ""
    email: str = ""
    late: bool = False
    submitted: str = ""  # the file's time, ISO 8601 UTC
    older: tuple[str, ...] = ()  # the student's other files for the exercise, not graded
    max_points: float = 100.0
    graded_by: str = ""  # the key of the Provenance that graded it
    graded_at: str = ""
    isolation_kind: str = ""  # "namespaces" or "process-group"
    lms_id: str = ""  # the LMS's own id from the file name (Canvas user id)

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def score(self) -> float | None:
        """Weighted percentage of the exercise's bugs caught; ``None`` when not graded."""
        return None if self.result is None else percent(self.result)

    @property
    def points(self) -> float | None:
        """Points out of :attr:`max_points`; ``None`` when not graded."""
        return None if self.result is None else points(self.result, self.max_points)

    @property
    def isolation_code(self) -> str:
        return ISOLATION_CODES.get(self.isolation_kind, self.isolation_kind)

    @property
    def key(self) -> str:
        """What this row is for: the notebook's absolute path and the exercise graded."""
        return row_key(self.source, self.exercise)

    @property
    def slug(self) -> str:
        """A file name for this row's own files: its student, and a tag of its key."""
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.student)[:60].strip("_.") or "student"
        tag = hashlib.sha256(self.key.encode()).hexdigest()[:8]  # names may look alike
        return f"{name}-{tag}"

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
            self.isolation_code,
            "" if self.points is None else f"{self.points:g}",
            f"{self.max_points:g}",
            self.student_id,
            self.email,
            "late" if self.late else "",
            self.submitted,
            " ".join(self.older),
            self.graded_at,
            self.graded_by,
        ]

    def to_data(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["result"] = None if self.result is None else to_data(self.result)
        data["older"] = list(self.older)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Grade:
        names = {f.name for f in dataclasses.fields(cls)}
        given = {k: v for k, v in data.items() if k in names}
        result = given.get("result")
        given["result"] = None if result is None else from_data(result)
        given["older"] = tuple(given.get("older", ()))
        return cls(**given)


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@dataclass
class Book:
    """The output folder: grades.csv, one JSON per submission, provenance.json."""

    out: Path
    done: dict[str, Grade] = field(default_factory=dict)
    stale: dict[str, Grade] = field(default_factory=dict)  # rows graded by another provenance

    @classmethod
    def open(cls, out: Path, *, force: bool, provenance: Provenance | None = None) -> Book:
        """Open (or make) ``out``; rows another provenance graded are set aside as stale."""
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
            if provenance is not None and grade.graded_by != provenance.key:
                book.stale[grade.key] = grade
            else:
                book.done[grade.key] = grade
        book.rewrite(list(book.done.values()))
        if provenance is not None:
            book.write_provenance(provenance)
        return book

    def write_provenance(self, provenance: Provenance, **extra: object) -> None:
        """provenance.json: what graded the rows of grades.csv (their ``graded_by``)."""
        data = {**provenance.to_data(), **extra}
        _replace(self.out / PROVENANCE, json.dumps(data, indent=1) + "\n")

    def add(self, grade: Grade) -> None:
        target = self.out / "results" / f"{grade.slug}.json"
        _replace(target, json.dumps(grade.to_data(), indent=1))
        self.done[grade.key] = grade
        self.stale.pop(grade.key, None)
        with (self.out / "grades.csv").open("a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(grade.row())

    def drop_stale(self) -> None:
        """Remove the result files of rows another provenance graded and no run replaced:
        ``results/`` then holds only rows graded alike (what ``bugs check --graded`` reads)."""
        for grade in self.stale.values():
            (self.out / "results" / f"{grade.slug}.json").unlink(missing_ok=True)
        self.stale.clear()

    def rewrite(self, grades: Sequence[Grade]) -> None:
        """grades.csv anew, in this order (at the start, and in submission order at the end)."""
        partial = self.out / "grades.csv.part"
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for grade in grades:
                writer.writerow(grade.row())
        os.replace(partial, self.out / "grades.csv")


def _replace(target: Path, text: str) -> None:
    partial = target.with_name(target.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)  # a crash leaves the old file or the new one, never half
