"""report.html and grades.csv for a class built by hand: sections, means, grid, escaping."""

from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orderkit.classroom.batch.gradebook import CSV_COLUMNS, GRADED, NOT_GRADED, Book
from orderkit.classroom.report import charts
from orderkit.classroom.report.page import invalid_tests, render, write_report
from tests.classroom.sample_class import (
    HTML_NAME,
    ISOLATION,
    RESTOCK_WRONG,
    sample_class,
    title,
)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """What the tests read from the page: text per element id, tables by class, links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}  # id -> every text inside that element
        self.tables: dict[str, list[list[list[str]]]] = {}  # class -> tables -> rows -> cells
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.titles: list[str] = []  # title attributes of the grid's column headers
        self._open: list[str | None] = []  # ids of the open elements
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        for name in ("src", "href", "action", "poster", "data"):
            if name in found:
                self.links.append((tag, name, found[name]))
        if tag == "table":
            self._rows = []
            first = (found.get("class") or "").split()[:1]  # a table's first class names it
            self.tables.setdefault(first[0] if first else "", []).append(self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows:
            self._cell = []
            if "bug" in found.get("class", "").split():
                self.titles.append(found.get("title", ""))
        if tag not in VOID:
            self._open.append(found.get("id"))
            if found.get("id"):
                self.text[found["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._rows = None
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for opened in self._open:
            if opened:
                self.text[opened] += data

    def words(self, element_id: str) -> str:
        return " ".join(self.text[element_id].split())


@pytest.fixture(scope="module")
def html() -> str:
    return render(sample_class())


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def test_each_exercise_and_the_ungraded_have_a_section(page: Page) -> None:
    assert {"exercise-unit-tests", "exercise-integration-tests", "not-graded"} <= set(page.text)
    assert "Unit tests and test doubles (unit-tests)" in page.words("exercise-unit-tests")
    assert "ann" not in page.words("exercise-integration-tests")
    assert "cat" not in page.words("exercise-unit-tests")


def test_each_exercise_has_the_mean_of_its_graded_students_only(page: Page) -> None:
    unit, integration = page.tables["stats"]

    assert unit[0] == ["mean score", "58.3"]  # 50, 100 and 25; eve's timed-out one left out
    assert unit[1:] == [["median", "50.0"], ["lowest, highest", "25.0, 100.0"]]
    assert integration[0] == ["mean score", "75.0"]
    assert "3 graded, 1 could not be graded" in page.words("exercise-unit-tests")


def test_the_summary_counts_everything_and_links_to_the_sections(page: Page) -> None:
    [summary] = page.tables["summary"]

    assert summary[1:3] == [
        ["Unit tests and test doubles (unit-tests)", "3", "1", "58.3"],
        [
            "Integration tests: services, database, concurrency (integration-tests)",
            "2",
            "0",
            "75.0",
        ],
    ]
    assert ("a", "href", "#exercise-unit-tests") in page.links
    assert ("a", "href", "#not-graded") in page.links


def test_the_grid_marks_who_caught_which_bug(page: Page) -> None:
    unit, integration = page.tables["grid"]

    assert unit[0] == [
        "student",
        "off-by-one",
        "swapped-arguments",
        "wrong-exception",
        "restock-replaces",
        "caught",
    ]
    assert unit[1:4] == [
        ["ann", "✔", "", "✔", "", "2"],
        ["ben", "✔", "✔", "✔", "✔", "4"],
        [HTML_NAME, "", "", "", "✔", "1"],
    ]
    assert unit[4] == ["caught by", "2", "1", "2", "2", ""]
    assert integration[1:3] == [["cat", "", "✔", "1"], ["dan", "✔", "✔", "2"]]
    assert title("swapped-arguments") + " (unit)" in page.titles  # the whole title on hover


def test_the_tests_most_often_invalid_are_counted_per_student_with_the_usual_reason(
    page: Page,
) -> None:
    [invalid] = page.tables["invalid"]

    assert invalid[1:] == [
        ["test_restock_adds", "2 of 2", f"{RESTOCK_WRONG} (2 of 2)"],
        ["test_bad_quantity", "1 of 1", "fails on correct code: DID NOT RAISE"],
    ]
    assert "Every test written was valid." in page.words("exercise-integration-tests")


def test_invalid_tests_count_a_parametrized_test_once_and_stubs_not_at_all() -> None:
    found = {test.name: test for test in invalid_tests(sample_class()[:3])}

    assert found["test_bad_quantity"].students == 1
    assert found["test_bad_quantity"].wrote == 1  # the stub left unwritten does not count
    assert set(found) == {"test_restock_adds", "test_bad_quantity"}


def test_every_student_row_has_tests_bugs_score_notes_and_isolation(page: Page) -> None:
    unit, _ = page.tables["students"]

    assert unit[0] == [
        "student",
        "id",
        "file",
        "valid tests",
        "bugs caught",
        "score",
        "points",
        "late",
        "notes",
        "isolation",
    ]
    assert unit[1] == [
        "ann",
        "",
        "submissions/ann.ipynb",
        "1 of 4",
        "2 of 4",
        "50.0",
        "50 of 100",
        "",
        "3 test(s) not valid",
        "ns",
    ]


def test_the_isolation_column_is_a_code_spelled_out_once_in_the_legend(
    html: str, page: Page
) -> None:
    assert html.count(ISOLATION) == 1
    assert page.words("legend") == f"Legend isolation ns {ISOLATION}"


def test_the_ungraded_are_listed_with_their_reasons(page: Page) -> None:
    [table] = page.tables["not-graded"]

    assert [row[0] for row in table[1:]] == ["eve", "fred"]
    assert table[1][2:4] == [
        "unit-tests",
        "timed out: the submission ran past the time limit of 60 s",
    ]
    assert table[2][2:4] == ["", "not a readable notebook (NotJSONError)"]


def test_a_student_name_that_is_html_is_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.lower().count("<script") == 1  # the page's own, inline, last
    assert html.lower().index("<script>") > html.lower().index('id="legend"')


def test_the_page_loads_nothing_from_anywhere(html: str, page: Page) -> None:
    images = [value for tag, name, value in page.links if tag == "img"]

    assert not re.search(r"(?i)https?:|ftp:|url\(|@import|<link|<iframe|<object", html)
    anchors = [value for tag, _, value in page.links if tag == "a"]
    assert all(v.startswith("#") or re.fullmatch(r"feedback/[\w.-]+\.html", v) for v in anchors)
    assert {tag for tag, _, _ in page.links} == {"a", "img"}
    assert len(images) == 4  # a histogram and a bug chart per exercise
    for image in images:
        prefix, _, data = image.partition(",")
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")


def test_no_test_source_reaches_the_page(html: str) -> None:
    assert "def test_" not in html
    assert "assert_called" not in html


def test_a_class_with_nothing_graded_still_gets_a_page(tmp_path: Path) -> None:
    only_failed = [grade for grade in sample_class() if not grade.graded]

    path = write_report(only_failed, tmp_path / "grades")

    page = Page(path.read_text(encoding="utf-8"))
    assert page.words("overview") == "2 submission(s): 0 graded, 2 could not be graded."
    assert [row[0] for row in page.tables["not-graded"][0][1:]] == ["eve", "fred"]
    assert "exercise-unit-tests" not in page.text


def test_the_bug_chart_legend_sits_clear_of_the_bars() -> None:
    bugs = [(f"bug-{n}", level, 100.0) for n, level in enumerate(["unit", "database"] * 8)]
    figure = charts.bug_figure(bugs)
    figure.draw_without_rendering()  # lays it out as saving it would
    [axes] = figure.axes
    legend = axes.get_legend()
    assert legend is not None

    box = legend.get_window_extent()

    assert box.y0 >= axes.get_window_extent().y1
    assert not any(box.overlaps(bar.get_window_extent()) for bar in axes.patches)
    assert [text.get_text() for text in legend.get_texts()] == ["unit", "database"]


def test_the_csv_reads_back_into_a_gradebook(tmp_path: Path) -> None:
    book = Book.open(tmp_path, force=False)
    for grade in sample_class():
        book.add(grade)

    raw = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    with (tmp_path / "grades.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["student"]: row for row in reader}

    assert reader.fieldnames == CSV_COLUMNS
    assert len(raw.splitlines()) == 1 + len(rows) == 8  # no cell spans two lines
    assert rows["ann"]["status"] == GRADED
    assert float(rows["ann"]["score"]) == 50.0
    assert rows["ann"]["exercise"] == "unit-tests"
    assert rows[HTML_NAME]["notes"] == "1 test(s) not valid and a second line"
    assert (rows["eve"]["status"], rows["eve"]["score"], rows["eve"]["caught"]) == (
        NOT_GRADED,
        "",
        "",
    )
    assert rows["eve"]["notes"].startswith("timed out")
    assert rows["fred"]["exercise"] == ""


WITHOUT_MATPLOTLIB = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "matplotlib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Block())
from orderkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_grading_without_the_teacher_extra_says_what_to_install_before_grading(
    tmp_path: Path,
) -> None:
    (tmp_path / "ann.ipynb").write_text("{}")

    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_MATPLOTLIB, "grade", "ann.ipynb", "--out", "grades"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "the report needs matplotlib, from the kit's teacher extra" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "grades").exists()
