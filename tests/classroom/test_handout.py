"""orderkit release my-course --out student/: a student folder with nothing to keep back in it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest

from orderkit.classroom import Course
from orderkit.classroom.authoring.errors import ReleaseError
from orderkit.classroom.authoring.handout import MANIFEST, references, release_course
from orderkit.classroom.bugs.course import for_notebook
from tests.classroom.cli import run_orderkit
from tests.classroom.courses import ORDERS_REVERSED

PUBLIC = ORDERS_REVERSED
PRIVATE = PUBLIC.replace("orders-reversed", "secret-bug").replace("list_orders gives", "Hidden:")
SOLUTION = "THE-SOLUTION-TEXT"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "my-course"
    _write(
        root / "course.toml",
        """
        [course]
        name = "CS 101"
        bugs = ["bugs.toml"]
        private = ["private/bugs.toml"]
        roster = "roster.csv"

        [[exercise]]
        id = "store-contract"
        levels = ["integration"]
        bugs = ["secret-bug", "orders-reversed"]
        """,
    )
    _write(root / "bugs.toml", PUBLIC)
    _write(root / "private" / "bugs.toml", PRIVATE)
    _write(root / "private" / "notes.md", "notes")
    _write(root / "roster.csv", "id,name,email\n")
    _write(root / "CONTRACT.md", "# Contract\n")
    _write(root / "source" / "data.csv", "a,b\n")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "See [the contract](../CONTRACT.md), ![a chart](chart.png), "
            "[the roster](../roster.csv), [notes](../private/notes.md), "
            "[the web](https://example.org/x.md) and [below](#part-b)."
        ),
        nbformat.v4.new_code_cell(
            "def test_mine():\n    ### BEGIN SOLUTION\n"
            f"    assert '{SOLUTION}'\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell(
            'rows = open("data.csv").read()\ndb = "orders.db"\n'
            'check("store-contract", bugs=["../bugs.toml"])\ncheck("private-only")'
        ),
    ]
    nbformat.write(notebook, root / "source" / "store.ipynb")
    return root


def test_a_released_course_holds_the_student_versions_links_and_public_bugs_only(
    course: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"

    handout = release_course(course, out)

    shipped = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert shipped == [
        MANIFEST,
        "CONTRACT.md",
        "bugs.toml",
        "course.toml",
        "source/data.csv",
        "source/store.ipynb",
    ]
    everything = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    assert SOLUTION not in everything
    assert "secret-bug" not in everything
    assert "roster" not in (out / "course.toml").read_text(encoding="utf-8")
    warned = "\n".join(handout.warnings)
    assert "not shipped: ../roster.csv (private" in warned
    assert "not shipped: ../private/notes.md (private" in warned
    assert "not shipped: chart.png (no such file in the course)" in warned
    assert "'private-only' is declared in no file" in warned
    assert "orders.db" not in warned  # a bare name in code: a file the code makes
    assert "example.org" not in warned


def test_a_released_notebooks_check_finds_the_public_course_and_its_bugs_file(
    course: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    release_course(course, out)

    catalogue = for_notebook(out / "source", ["../bugs.toml"]).for_exercise("store-contract")

    assert [c.name for c in catalogue.of_kind("chaff")] == ["orders-reversed"]
    public = Course.read(out)
    assert public.private == ()
    assert public.roster is None


def test_releasing_again_replaces_the_last_release_and_never_a_folder_of_other_files(
    course: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    release_course(course, out)
    (course / "source" / "data.csv").unlink()
    notebook = nbformat.read(course / "source" / "store.ipynb", as_version=4)
    notebook.cells[-1].source = "check('store-contract')"
    nbformat.write(notebook, course / "source" / "store.ipynb")

    release_course(course, out)

    assert not (out / "source" / "data.csv").exists()
    other = tmp_path / "other"
    _write(other / "mine.txt", "keep me")
    with pytest.raises(ReleaseError, match="not empty and not a student folder"):
        release_course(course, other)
    assert (other / "mine.txt").read_text() == "keep me"
    with pytest.raises(ReleaseError, match="must not be the course folder"):
        release_course(course, course / "source")


def test_references_are_links_and_path_like_strings_but_not_web_addresses() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell('[a](a.md) <img src="img/b.png"> [c](http://x/c.md)'),
        nbformat.v4.new_code_cell('load("../d.toml"); name = "orderkit.classroom"; x = 1.5'),
    ]

    assert references(notebook) == [("a.md", True), ("img/b.png", True), ("../d.toml", False)]


@pytest.mark.slow
def test_orderkit_release_of_a_course_folder_on_the_command_line(
    course: Path, tmp_path: Path
) -> None:
    done = run_orderkit("release", str(course), "--out", str(tmp_path / "student"))

    assert done.returncode == 0, done.stderr
    assert "copied CONTRACT.md" in done.stdout
    assert "hand out this folder" in done.stdout
    assert "warning: source/store.ipynb: not shipped: ../roster.csv" in done.stderr
    released = json.loads((tmp_path / "student" / "source" / "store.ipynb").read_text())
    assert SOLUTION not in json.dumps(released)
