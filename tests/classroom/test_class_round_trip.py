"""A class as a teacher runs it: Canvas and Moodle downloads, a roster, exports, a rerun.

The commands are the ones docs/teacher/4-grade.md gives, run from the course folder.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from tests.classroom.cli import run_orderkit
from tests.classroom.courses import ORDERS_REVERSED, QUANTITY_ONE
from tests.classroom.test_course import BUG, COURSE, ORDER_TEST
from tests.classroom.test_grading import GOOD_TESTS, SETUP, WEAK_TESTS

ROSTER = """id,name,email
48214,Jane Doe,jdoe@school.edu
51007,Omar Ali,oali@school.edu
60001,Anna Smith,asmith@school.edu
60002,Li Wu,lwu@school.edu
"""
ON_TIME = datetime(2026, 12, 9, 12, 0).timetuple()[:6]
LATE = datetime(2026, 12, 11, 9, 0).timetuple()[:6]
DEADLINE = "2026-12-10T23:59:00+00:00"
MINE = BUG.format(name="only-a-comment", level="unit", extra="")  # changes a comment only


def _notebook(*cells: str) -> bytes:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    book.metadata["orderkit"] = {"exercise": "unit-tests"}
    return str(nbformat.writes(book)).encode()


def _download(path: Path, files: dict[str, tuple[tuple[int, ...], bytes]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, (when, data) in files.items():
            archive.writestr(zipfile.ZipInfo(name, when), data)  # type: ignore[arg-type]


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "mine.toml").write_text(MINE, encoding="utf-8")
    good, weak = _notebook(SETUP, GOOD_TESTS), _notebook(SETUP, WEAK_TESTS)
    _download(
        folder / "submissions.zip",  # Canvas: Download Submissions
        {
            "doejane_LATE_48214_1093350_10-exercise-unit-tests.ipynb": (LATE, good),
            "alioma_51007_1093351_10-exercise-unit-tests-1.ipynb": (ON_TIME, weak),
            "alioma_51007_1093399_10-exercise-unit-tests.ipynb": (ON_TIME, good),
        },
    )
    _download(
        folder / "CS101-Exercise 10-1234.zip",  # Moodle: Download all submissions, in folders
        {
            "Anna Smith_1234568_assignsubmission_file_/10-exercise-unit-tests.ipynb": (
                LATE,
                weak,
            ),
            "Omar Ali_1234569_assignsubmission_file_/10-exercise-unit-tests.ipynb": (
                ON_TIME,
                good,
            ),
        },
    )
    return folder


@pytest.mark.slow
def test_a_canvas_download_with_a_roster_grades_one_row_per_student_and_exports(
    course: Path,
) -> None:
    done = run_orderkit(
        "grade", "submissions.zip", "--out", "grades", "--roster", "roster.csv",
        "--deadline", DEADLINE, "--export", "canvas", "--quiet",
        cwd=course,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = _rows(course / "grades" / "grades.csv")
    assert set(rows) == {"Jane Doe", "Omar Ali"}
    assert (rows["Jane Doe"]["id"], rows["Jane Doe"]["late"]) == ("48214", "late")
    assert rows["Omar Ali"]["late"] == ""
    assert rows["Omar Ali"]["file"].endswith("alioma_51007_1093399_10-exercise-unit-tests.ipynb")
    assert rows["Omar Ali"]["other_files"].endswith("10-exercise-unit-tests-1.ipynb")
    assert float(rows["Omar Ali"]["points"]) == float(rows["Omar Ali"]["score"])
    assert "2 on the roster sent nothing: Anna Smith, Li Wu" in done.stdout
    assert "1 late: Jane Doe" in done.stdout
    with (course / "grades" / "canvas-import.csv").open(newline="") as handle:
        export = list(csv.reader(handle))
    assert export[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert export[1][0] == "Points Possible"
    assert [r[:2] for r in export[2:]] == [
        ["Doe, Jane", "48214"],
        ["Ali, Omar", "51007"],
        ["Smith, Anna", "60001"],
        ["Wu, Li", "60002"],
    ]
    assert export[4][5] == ""  # Anna sent nothing here: her grade is left as it is
    report = (course / "grades" / "report.html").read_text(encoding="utf-8")
    for row in rows.values():
        assert (course / row["file"]).exists()
    feedback = sorted(p.name for p in (course / "grades" / "feedback").glob("*.html"))
    assert len(feedback) == 2
    assert all(f'href="feedback/{name}"' in report for name in feedback)
    assert 'id="provenance"' in report


@pytest.mark.slow
def test_a_moodle_download_flags_late_by_file_time_and_exports_for_moodle(course: Path) -> None:
    done = run_orderkit(
        "grade", "CS101-Exercise 10-1234.zip", "--out", "moodle-grades", "--roster",
        "roster.csv", "--deadline", DEADLINE, "--export", "moodle", "--quiet",
        cwd=course,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = _rows(course / "moodle-grades" / "grades.csv")
    assert {(r["student"], r["id"], r["late"]) for r in rows.values()} == {
        ("Anna Smith", "60001", "late"),
        ("Omar Ali", "51007", ""),
    }
    with (course / "moodle-grades" / "moodle-import.csv").open(newline="") as handle:
        export = list(csv.DictReader(handle))
    assert [e["Email address"] for e in export] == [
        "jdoe@school.edu",
        "oali@school.edu",
        "asmith@school.edu",
        "lwu@school.edu",
    ]
    title = "Unit tests and test doubles"
    assert export[1][title] == rows["Omar Ali"]["points"]
    assert export[0][title] == ""


@pytest.mark.slow
def test_a_changed_catalogue_regrades_every_row_and_never_mixes(course: Path) -> None:
    first = _rows(course / "grades" / "grades.csv")

    done = run_orderkit(
        "grade", "submissions.zip", "--out", "grades", "--roster", "roster.csv",
        "--bugs", "mine.toml", "--quiet",
        cwd=course,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "2 row(s) graded again: graded before with another kit, catalogue or options" in (
        done.stdout
    )
    rows = _rows(course / "grades" / "grades.csv")
    assert {r["total"] for r in rows.values()} == {str(int(first["Omar Ali"]["total"]) + 1)}
    assert len({r["graded_by"] for r in rows.values()}) == 1
    assert rows["Omar Ali"]["graded_by"] != first["Omar Ali"]["graded_by"]
    provenance = json.loads((course / "grades" / "provenance.json").read_text())
    assert provenance["key"] == rows["Omar Ali"]["graded_by"]
    assert [Path(c["file"]).name for c in provenance["catalogues"]] == ["bugs.toml", "mine.toml"]


@pytest.mark.slow
def test_a_path_that_does_not_exist_grades_nothing(course: Path) -> None:
    done = run_orderkit("grade", "submissions.zip", "nosuch/", "--out", "typo", cwd=course)

    assert done.returncode == 2
    assert "no such file or folder: nosuch" in done.stderr
    assert not (course / "typo").exists()


QUANTITY_TEST = """
def test_an_order_records_its_quantity():
    orders = OrderService(InventoryService({1: 10}))
    orders.create_order(1, 3)
    assert orders.list_orders()[0]["quantity"] == 3
"""
IMPORTS = (
    "from orderkit import InventoryService, OrderService\nfrom orderkit.classroom import check"
)


@pytest.mark.slow
def test_a_course_grades_its_own_exercise_with_weights_points_and_hidden_bugs(
    tmp_path: Path,
) -> None:
    course = tmp_path / "my-course"
    (course / "private").mkdir(parents=True)
    (course / "course.toml").write_text(COURSE, encoding="utf-8")
    (course / "bugs.toml").write_text(ORDERS_REVERSED, encoding="utf-8")
    (course / "private" / "bugs.toml").write_text(
        QUANTITY_ONE.replace('level = "integration"', 'level = "integration"\nweight = 3'),
        encoding="utf-8",
    )
    (course / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (course / "submissions").mkdir()
    for name, tests in (("jdoe", ORDER_TEST), ("oali", ORDER_TEST + QUANTITY_TEST)):
        book = nbformat.v4.new_notebook()
        book.cells = [nbformat.v4.new_code_cell(c) for c in (IMPORTS, tests)]
        book.cells.append(nbformat.v4.new_code_cell('check("store-contract")'))
        nbformat.write(book, course / "submissions" / f"{name}.ipynb")

    done = run_orderkit(
        "grade", "submissions/", "--out", "grades", "--course", ".", "--export", "moodle",
        "--quiet",
        cwd=course,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = _rows(course / "grades" / "grades.csv")
    jane, omar = rows["Jane Doe"], rows["Omar Ali"]
    assert (jane["exercise"], jane["total"], jane["max_points"]) == ("store-contract", "2", "10")
    assert (jane["points"], jane["score"], jane["notes"]) == ("2.5", "25.0", "")  # 1 of 4
    assert (omar["points"], omar["score"]) == ("10", "100.0")
    assert "2 on the roster sent nothing: Anna Smith, Li Wu" in done.stdout
    pages = {
        json.loads(p.read_text())["student"]["name"]: p
        for p in (course / "grades" / "feedback").glob("*.json")
    }
    jane_page = pages["Jane Doe"].with_suffix(".html").read_text(encoding="utf-8")
    assert "Hidden bugs" in jane_page
    assert "0 of 1 caught" in jane_page
    assert "quantity of 1" not in jane_page
    jane_data = json.loads(pages["Jane Doe"].read_text())
    # the hidden bug: neither its name, title, hint nor change (the coverage hints may quote
    # the kit's own code, where "quantity" is everywhere)
    for secret in ("quantity-one", "quantity of 1", "Look at the quantity", '"quantity": 1'):
        assert json.dumps(secret)[1:-1] not in json.dumps(jane_data), jane_data["coverage_hints"]
    assert "The store&#39;s contract" in jane_page
    report = (course / "grades" / "report.html").read_text(encoding="utf-8")
    assert "An order records a quantity of 1 (hidden from students)" in report
    with (course / "grades" / "moodle-import.csv").open(newline="") as handle:
        export = {r["Email address"]: r for r in csv.DictReader(handle)}
    assert export["oali@school.edu"]["The store's contract"] == "10"


@pytest.mark.slow
def test_a_reader_that_goes_away_leaves_no_traceback(tmp_path: Path) -> None:
    """``orderkit grade ... | head -1``: the pipe closes before the summary is printed."""
    (tmp_path / "essay.txt").write_text("not a notebook")
    grading = subprocess.Popen(
        [sys.executable, "-m", "orderkit", "grade", "essay.txt", "--out", "grades", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert grading.stdout is not None
    grading.stdout.close()  # as head does once it has its line

    _, errors = grading.communicate(timeout=120)

    assert "Traceback" not in errors
    assert "BrokenPipeError" not in errors
    assert grading.returncode == 1  # an essay is not graded, and the output was cut short
    assert (tmp_path / "grades" / "grades.csv").exists()


INTEGRATION_TEST = """
def test_an_order_takes_stock_from_the_real_inventory():
    inventory = InventoryService({1: 10})
    OrderService(inventory).create_order(1, 3)
    assert inventory.check_stock(1) == 7
"""


@pytest.mark.slow
def test_a_notebook_with_two_exercises_gets_a_row_a_section_and_a_column_for_each(
    tmp_path: Path,
) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell(IMPORTS + "\nimport pytest\nfrom orderkit import *"),
        nbformat.v4.new_code_cell(GOOD_TESTS),
        nbformat.v4.new_code_cell('check("unit-tests")'),
        nbformat.v4.new_code_cell(INTEGRATION_TEST),
        nbformat.v4.new_code_cell('check("integration-tests")'),
    ]
    (tmp_path / "submissions").mkdir()
    nbformat.write(book, tmp_path / "submissions" / "ann.ipynb")

    done = run_orderkit(
        "grade", "submissions/", "--out", "grades", "--export", "canvas", "--quiet",
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    with (tmp_path / "grades" / "grades.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["exercise"]) for r in rows] == [
        ("ann", "unit-tests"),
        ("ann", "integration-tests"),
    ]
    assert rows[0]["total"] != rows[1]["total"]  # each on its own exercise's bugs
    report = (tmp_path / "grades" / "report.html").read_text(encoding="utf-8")
    assert 'id="exercise-unit-tests"' in report
    assert 'id="exercise-integration-tests"' in report
    with (tmp_path / "grades" / "canvas-import.csv").open(newline="") as handle:
        export = list(csv.reader(handle))
    assert export[0][5:] == [
        "Unit tests and test doubles",
        "Integration tests: services, database, concurrency",
    ]
    assert len(export) == 3  # the header, Points Possible, one line for ann
    assert len(list((tmp_path / "grades" / "feedback").glob("*.html"))) == 2
