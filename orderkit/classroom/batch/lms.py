"""What learning management systems name and import: submission file names, rosters, exports.

Canvas and Moodle both let a teacher download every submission of an assignment as one zip,
naming each file after its student:

- Canvas: ``lastfirst_[LATE_]userid_submissionid_filename`` (``doejane_LATE_48214_1093350_
  ann.ipynb``), ``lastfirst`` the student's sortable name in lower case without spaces,
  ``userid`` the Canvas user id that Canvas's gradebook import takes in its ``ID`` column,
  ``LATE`` when Canvas marked the submission late; a student's earlier files may carry a
  ``-1``, ``-2`` suffix before the extension.
- Moodle: ``Full Name_participantid_assignsubmission_file_filename``, either as one file or
  as a folder ``Full Name_participantid_assignsubmission_file_/`` holding the student's files
  (Moodle's "download submissions in folders").

:func:`parse` reads those names; :func:`read_roster` reads a class list (CSV: id, name,
email); :func:`write_canvas` and :func:`write_moodle` write a file each gradebook's CSV import
takes as it is (their shapes are documented in ``docs/teacher/4-grade.md``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.errors import ClassroomError

CANVAS = re.compile(
    r"^(?P<login>[a-z0-9\-]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<submission>\d+)_(?P<file>.+)$"
)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_file_(?P<file>.*)$")
ROSTER_COLUMNS = ("id", "name", "email")


class RosterError(ClassroomError):
    """A roster file cannot be read as a class list (id, name, email)."""


@dataclass(frozen=True)
class Named:
    """Who a submitted file says it is from, read from its path as the LMS named it."""

    key: str  # a name to match (Canvas: lastfirst; Moodle: the full name; else the file stem)
    name: str  # as shown
    lms: str = ""  # "canvas", "moodle" or "" (a plain file)
    lms_id: str = ""  # Canvas user id or Moodle participant id
    late: bool = False  # the LMS marked it late
    attempt: int = 0  # Canvas's -1, -2 suffix on an earlier file: higher is later


@dataclass(frozen=True)
class Student:
    """One line of a roster."""

    id: str
    name: str
    email: str = ""


def parse(path: Path, root: Path | None = None) -> Named:
    """Who ``path`` is from, by its name (and, for Moodle's folders, its folder's name)."""
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    for part in reversed(parts[:-1]):  # Moodle: one folder per student
        found = MOODLE.match(part)
        if found:
            return Named(found["name"], found["name"], "moodle", found["id"])
    found = MOODLE.match(path.name)
    if found:
        return Named(found["name"], found["name"], "moodle", found["id"])
    found = CANVAS.match(path.name)
    if found:
        attempt = re.search(r"-(\d+)$", Path(found["file"]).stem)
        return Named(
            found["login"],
            found["login"],
            "canvas",
            found["id"],
            late=bool(found["late"]),
            attempt=-int(attempt[1]) if attempt else 0,  # -1 is the earlier one
        )
    return Named(path.stem, path.stem)


def read_roster(path: Path) -> list[Student]:
    """A class list: a CSV file with a header naming ``id``, ``name`` and ``email`` columns.

    Column names are matched without regard to case; other columns are ignored. Ids must be
    unique.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark
    except OSError as error:
        raise RosterError(f"{path}: cannot read the roster ({error.strerror})") from None
    reader = csv.DictReader(text.splitlines())
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or ()}
    missing = [c for c in ROSTER_COLUMNS if c not in fields]
    if missing:
        raise RosterError(
            f"{path}: a roster needs the columns id, name, email (missing: {', '.join(missing)};"
            f" found: {', '.join(f for f in fields if f) or 'none'})"
        )
    students: list[Student] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        values = {c: (row.get(fields[c]) or "").strip() for c in ROSTER_COLUMNS}
        if not any(values.values()):
            continue
        if not values["id"]:
            raise RosterError(f"{path}, line {line}: no id")
        if values["id"] in seen:
            raise RosterError(f"{path}, line {line}: the id {values['id']!r} appears twice")
        seen.add(values["id"])
        students.append(Student(values["id"], values["name"], values["email"]))
    return students


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def match(named: Named, roster: Sequence[Student]) -> Student | None:
    """The roster's student a file is from: by id, then by name, then by e-mail's local part.

    A Canvas file's name matches ``last first`` or ``first last`` (letters only), a
    Moodle file's its full name; a plain file ``jdoe.ipynb`` matches ``jdoe@school.edu``.
    """
    if named.lms_id:
        for student in roster:
            if student.id == named.lms_id:
                return student
    key = _letters(named.key)
    for student in roster:
        words = student.name.replace(",", " ").split()
        names = {_letters(" ".join(words)), _letters(" ".join(words[::-1]))}
        if len(words) > 2:  # "Doe, Jane Ann": also the last word first
            names.add(_letters(" ".join([words[-1], *words[:-1]])))
        if key and key in names:
            return student
    for student in roster:
        if key and key in (_letters(student.email.partition("@")[0]), student.id):
            return student
    return None


@dataclass(frozen=True)
class ExportRow:
    """One student's line of an export: who, and points per exercise (None: nothing to grade)."""

    student: Student
    lms_id: str  # the LMS's own id when a file name gave it (Canvas user id)
    points: dict[str, float | None]


def write_canvas(
    rows: Sequence[ExportRow], exercises: Sequence[tuple[str, str, float]], path: Path
) -> None:
    """A CSV Canvas's gradebook import takes: Student, ID, SIS User ID, SIS Login ID, Section.

    One column per exercise (``exercises``: id, title, maximum points), named by its title
    (Canvas matches it to an assignment of that name, or creates one), and a ``Points
    Possible`` row under the header as in Canvas's own export. ``ID`` is the Canvas user id
    from the file name, else the roster's id; ``SIS User ID`` the roster's id.
    """
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        who = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        writer.writerow(who + [title for _, title, _ in exercises])
        writer.writerow(["Points Possible", "", "", "", ""] + [_number(p) for _, _, p in exercises])
        for row in rows:
            writer.writerow(
                [
                    _sortable(row.student.name),
                    row.lms_id or row.student.id,
                    row.student.id,
                    row.student.email,
                    "",
                ]
                + [_points(row.points.get(e)) for e, _, _ in exercises]
            )


def write_moodle(
    rows: Sequence[ExportRow], exercises: Sequence[tuple[str, str, float]], path: Path
) -> None:
    """A CSV Moodle's gradebook import (Grades > Import > CSV file) takes as it is.

    The columns of Moodle's own grade export: First name, Last name, ID number, Email
    address, then one column per exercise, named by its title. In the import, map "Email
    address" to "Email address" (or "ID number" to "ID number") and each exercise's column to
    its grade item; a blank cell leaves that grade as it is.
    """
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["First name", "Last name", "ID number", "Email address"] + [t for _, t, _ in exercises]
        )
        for row in rows:
            first, last = _first_last(row.student.name)
            writer.writerow(
                [first, last, row.student.id, row.student.email]
                + [_points(row.points.get(e)) for e, _, _ in exercises]
            )


def _number(value: float) -> str:
    return f"{value:g}"


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _first_last(name: str) -> tuple[str, str]:
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def _sortable(name: str) -> str:
    """Canvas's "Last, First" form of a name."""
    if "," in name:
        return name
    first, last = _first_last(name)
    return f"{last}, {first}" if first and last else name


def export_rows(grades: Sequence[Grade], roster: Sequence[Student]) -> list[ExportRow]:
    """One line per student: the roster's students in its order (blank points for who sent
    nothing), then students no roster line matched; points per exercise of their row."""
    by_student: dict[str, ExportRow] = {}
    for student in roster:
        by_student[student.id] = ExportRow(student, "", {})
    for grade in grades:
        key = grade.student_id or f"file:{grade.student}"
        row = by_student.get(key)
        if row is None:
            who = Student(grade.student_id, grade.student, grade.email)
            row = by_student[key] = ExportRow(who, "", {})
        lms_id = grade.lms_id or row.lms_id
        by_student[key] = ExportRow(
            row.student, lms_id, {**row.points, grade.exercise or "": grade.points}
        )
    return list(by_student.values())


WRITERS = {"canvas": write_canvas, "moodle": write_moodle}
EXPORT_FILES = {"canvas": "canvas-import.csv", "moodle": "moodle-import.csv"}
