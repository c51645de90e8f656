"""Canvas and Moodle downloads, a roster, late and repeated submissions, the two exports."""

from __future__ import annotations

import csv
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from orderkit.classroom.batch import lms, submissions
from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import ChaffResult, CheckResult

ROSTER = "id,name,email\n48214,Jane Doe,jdoe@school.edu\n51007,Omar Ali,oali@school.edu\n"
ROSTER += "60001,Anna Smith,asmith@school.edu\n60002,Nobody Sent,nsent@school.edu\n"
DEADLINE = datetime(2026, 12, 10, 22, 59, tzinfo=timezone.utc)
BEFORE = datetime(2026, 12, 9, 12, 0, tzinfo=timezone.utc).timestamp()
AFTER = datetime(2026, 12, 11, 8, 0, tzinfo=timezone.utc).timestamp()


def test_canvas_names_give_the_login_the_user_id_and_the_late_marker() -> None:
    late = lms.parse(Path("doejane_LATE_48214_1093350_ann.ipynb"))
    plain = lms.parse(Path("alomar_51007_1093351_10-exercise-unit-tests-1.ipynb"))

    assert (late.lms, late.key, late.lms_id, late.late) == ("canvas", "doejane", "48214", True)
    assert (plain.key, plain.lms_id, plain.late, plain.attempt) == ("alomar", "51007", False, -1)


def test_moodle_names_give_the_full_name_and_participant_id_from_file_or_folder() -> None:
    root = Path("/d")
    as_file = lms.parse(root / "Anna Smith_1234568_assignsubmission_file_ann.ipynb", root)
    in_folder = lms.parse(root / "Anna Smith_1234568_assignsubmission_file_" / "x.ipynb", root)

    assert as_file == in_folder
    assert (as_file.lms, as_file.name, as_file.lms_id) == ("moodle", "Anna Smith", "1234568")


def test_a_plain_file_is_its_own_name() -> None:
    assert lms.parse(Path("submissions/ann.ipynb")) == lms.Named("ann", "ann")


def test_a_roster_needs_id_name_and_email_and_unique_ids(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("\ufeffID,Name,Email,Section\n1,A B,a@x\n\n")
    (tmp_path / "bad.csv").write_text("id,name\n1,A\n")
    (tmp_path / "twice.csv").write_text("id,name,email\n1,A,a@x\n1,B,b@x\n")

    assert lms.read_roster(tmp_path / "ok.csv") == [lms.Student("1", "A B", "a@x")]
    with pytest.raises(
        lms.RosterError, match=r"needs the columns id, name, email \(missing: email"
    ):
        lms.read_roster(tmp_path / "bad.csv")
    with pytest.raises(lms.RosterError, match="line 3: the id '1' appears twice"):
        lms.read_roster(tmp_path / "twice.csv")


def test_files_match_roster_lines_by_id_name_or_email() -> None:
    roster = [lms.Student("7", "Jane Doe", "jdoe@school.edu"), lms.Student("8", "Li Wu", "")]

    assert lms.match(lms.Named("x", "x", "canvas", "7"), roster) == roster[0]
    assert lms.match(lms.Named("doejane", "doejane", "canvas", "999"), roster) == roster[0]
    assert lms.match(lms.Named("Li Wu", "Li Wu", "moodle", "5"), roster) == roster[1]
    assert lms.match(lms.Named("jdoe", "jdoe"), roster) == roster[0]
    assert lms.match(lms.Named("zed", "zed"), roster) is None


def _zip(path: Path, members: dict[str, float]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, stamp in members.items():
            info = zipfile.ZipInfo(name, datetime.fromtimestamp(stamp).timetuple()[:6])
            archive.writestr(
                info, '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
            )
    return path


def test_a_canvas_zip_gives_one_row_per_student_late_flags_and_who_sent_nothing(
    tmp_path: Path,
) -> None:
    download = _zip(
        tmp_path / "submissions.zip",
        {
            "doejane_LATE_48214_1093350_ann.ipynb": AFTER,
            "alomar_51007_1093351_unit-1.ipynb": BEFORE,  # Omar's first try
            "alomar_51007_1093399_unit.ipynb": BEFORE + 60,  # and his second
            "zedzed_99999_1093400_unit.ipynb": BEFORE,  # not on the roster
            "../../escape.ipynb": BEFORE,  # would land outside the folder: left out
        },
    )
    roster = lms.read_roster(_write(tmp_path / "roster.csv", ROSTER))

    found = submissions.find([download], tmp_path / "out" / submissions.UNPACKED)
    klass = submissions.collect(found, roster=roster, deadline=DEADLINE)

    rows = {f.student: f for f in klass.submissions}
    assert set(rows) == {"Jane Doe", "Omar Ali", "zedzed"}
    assert (rows["Jane Doe"].student_id, rows["Jane Doe"].late) == ("48214", True)
    assert rows["Omar Ali"].path.name == "alomar_51007_1093399_unit.ipynb"
    assert [Path(p).name for p in rows["Omar Ali"].older] == ["alomar_51007_1093351_unit-1.ipynb"]
    assert not rows["Omar Ali"].late
    assert [s.name for s in klass.missing] == ["Anna Smith", "Nobody Sent"]
    assert [f.student for f in klass.unknown] == ["zedzed"]
    assert not (tmp_path / "escape.ipynb").exists()
    assert all(p.is_relative_to(tmp_path / "out") for p, _ in found)


def test_a_moodle_zip_in_folders_late_by_the_file_time(tmp_path: Path) -> None:
    download = _zip(
        tmp_path / "CS101-Exercise 10-1234.zip",
        {
            "Anna Smith_1234568_assignsubmission_file_/10-exercise-unit-tests.ipynb": AFTER,
            "Omar Ali_1234569_assignsubmission_file_/10-exercise-unit-tests.ipynb": BEFORE,
        },
    )
    roster = lms.read_roster(_write(tmp_path / "roster.csv", ROSTER))

    found = submissions.find([download], tmp_path / "out")
    klass = submissions.collect(found, roster=roster, deadline=DEADLINE)

    assert [(f.student, f.student_id, f.late) for f in klass.submissions] == [
        ("Anna Smith", "60001", True),
        ("Omar Ali", "51007", False),
    ]


def test_a_path_that_does_not_exist_stops_before_anything(tmp_path: Path) -> None:
    with pytest.raises(ClassroomError, match=r"no such file or folder: .*nosuch"):
        submissions.find([tmp_path / "nosuch"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_without_a_roster_the_same_file_name_in_two_folders_is_two_students(
    tmp_path: Path,
) -> None:
    for who in ("ann", "ben"):
        _write(tmp_path / who / "10.ipynb", "{}")

    klass = submissions.collect(submissions.find([tmp_path], tmp_path / "out"))

    assert [f.student for f in klass.submissions] == ["ann", "ben"]


def _graded(student: str, student_id: str, points: float, email: str = "") -> Grade:
    chaffs = tuple(
        ChaffResult(f"b{n}", f"Bug {n}", "unit", "h", ("t",) if n < points else ())
        for n in range(4)
    )
    result = CheckResult((), chaffs, exercise="unit-tests")
    return Grade(
        student,
        "f",
        f"/c/{student}",
        result,
        exercise="unit-tests",
        student_id=student_id,
        email=email,
        max_points=10,
    )


def test_the_canvas_export_has_canvas_columns_and_a_points_possible_row(tmp_path: Path) -> None:
    roster = [lms.Student("48214", "Jane Doe", "jdoe@x"), lms.Student("9", "No One", "n@x")]
    grades = [_graded("Jane Doe", "48214", 3, "jdoe@x")]

    lms.write_canvas(
        lms.export_rows(grades, roster), [("unit-tests", "Unit tests", 10)], tmp_path / "c.csv"
    )

    with (tmp_path / "c.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Unit tests"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2] == ["Doe, Jane", "48214", "48214", "jdoe@x", "", "7.5"]
    assert rows[3] == ["One, No", "9", "9", "n@x", "", ""]  # sent nothing: left blank


def test_the_moodle_export_has_moodle_grade_export_columns(tmp_path: Path) -> None:
    roster = [lms.Student("60001", "Anna Smith", "asmith@x")]

    lms.write_moodle(
        lms.export_rows([_graded("Anna Smith", "60001", 2, "asmith@x")], roster),
        [("unit-tests", "Unit tests", 10)],
        tmp_path / "m.csv",
    )

    with (tmp_path / "m.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["First name", "Last name", "ID number", "Email address", "Unit tests"],
        ["Anna", "Smith", "60001", "asmith@x", "5"],
    ]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (BEFORE, BEFORE))
    return path
