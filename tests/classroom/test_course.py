"""A course as data: exercises declared in files, private bugs, course.toml found upwards."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest

from orderkit.classroom import EXERCISES, Course, check, load
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.bugs.course import for_notebook
from orderkit.classroom.bugs.errors import CatalogueError, UnknownExercise
from orderkit.classroom.bugs.exercises import Exercise
from orderkit.classroom.grading.notebooks import exercise_of, exercises_of
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.grading.results import summarise
from orderkit.classroom.runtime.testrun import Ran
from tests.classroom.courses import ORDERS_REVERSED, QUANTITY_ONE

# A teacher's bug: a change that applies (what it changes does not matter here).
BUG = """
[[chaff]]
name = "{name}"
title = "The teacher's own {name}"
level = "{level}"
hint = "a hint for {name}"
{extra}
[[chaff.change]]
file = "inventory.py"
find = "# the extra read costs a query on SQLite; skip it when unheard"
replace = "# {name}"
"""


def _bug(name: str, level: str = "integration", extra: str = "") -> str:
    return BUG.format(name=name, level=level, extra=extra)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _chaffs(catalogue: object, exercise_id: str) -> set[str]:
    chosen = catalogue.for_exercise(exercise_id)  # type: ignore[attr-defined]
    return {c.name for c in chosen.of_kind("chaff")}


def test_the_kits_exercises_are_data_of_its_catalogue_and_keep_their_ids() -> None:
    catalogue = load()

    assert list(EXERCISES) == [
        "unit-tests",
        "integration-tests",
        "all",
        "test-doubles",
        "database",
        "properties",
        "test-first",
    ]
    assert catalogue.exercises == EXERCISES
    assert catalogue.exercise("unit-tests").levels == ("unit",)
    assert len(_chaffs(catalogue, "all")) == len(catalogue.of_kind("chaff"))
    assert set().union(*(_chaffs(catalogue, e) for e in EXERCISES if e != "all")) == (
        _chaffs(catalogue, "all")
    )
    assert not _chaffs(catalogue, "test-first") & _chaffs(catalogue, "unit-tests")
    with pytest.raises(UnknownExercise, match="known: unit-tests, integration-tests, all"):
        catalogue.exercise("store-contract")


def test_a_teachers_bug_in_a_file_that_declares_an_exercise_grades_only_that_one(
    tmp_path: Path,
) -> None:
    mine = _write(
        tmp_path / "mine.toml",
        """
        [[exercise]]
        id = "store-contract"
        title = "The store's contract"
        levels = ["integration"]
        points = 10
        """
        + _bug("lost-update"),
    )

    catalogue = load([mine])

    assert catalogue.exercise("store-contract").points == 10
    assert _chaffs(catalogue, "store-contract") == {"lost-update"}
    assert "lost-update" not in _chaffs(catalogue, "integration-tests")
    assert "lost-update" in _chaffs(catalogue, "all")
    everywhere = tuple(w for w in catalogue.of_kind("wheat") if not w.exercises)
    assert catalogue.for_exercise("store-contract").of_kind("wheat") == everywhere


def test_without_an_exercise_of_the_teachers_own_a_bug_grades_the_kits_by_level(
    tmp_path: Path,
) -> None:
    mine = _write(tmp_path / "mine.toml", _bug("lost-update"))

    catalogue = load([mine])

    assert "lost-update" in _chaffs(catalogue, "integration-tests")
    assert "lost-update" not in _chaffs(catalogue, "unit-tests")


def test_a_course_files_exercises_are_the_home_of_bugs_in_files_that_declare_none(
    tmp_path: Path,
) -> None:
    mine = _write(tmp_path / "mine.toml", _bug("lost-update") + _bug("typo", level="unit"))

    catalogue = load([mine], exercises=[Exercise("store-contract", "Contract", ("integration",))])

    assert _chaffs(catalogue, "store-contract") == {"lost-update"}
    assert "lost-update" not in _chaffs(catalogue, "integration-tests")
    assert "typo" not in _chaffs(catalogue, "unit-tests")  # its home is the course's now


def test_an_exercise_takes_bugs_by_name_and_pattern_and_an_entry_names_its_exercises(
    tmp_path: Path,
) -> None:
    mine = _write(
        tmp_path / "mine.toml",
        """
        [[exercise]]
        id = "mix"
        bugs = ["off-by-one", "no-*"]
        """
        + _bug("lost-update", extra='exercises = ["unit-tests", "mix"]\nweight = 2'),
    )

    catalogue = load([mine])

    mix = _chaffs(catalogue, "mix")
    assert "off-by-one" in mix
    assert "lost-update" in mix
    assert all(n.startswith("no-") for n in mix - {"off-by-one", "lost-update"})
    assert "lost-update" in _chaffs(catalogue, "unit-tests")
    assert "lost-update" not in _chaffs(catalogue, "integration-tests")
    assert catalogue.named("lost-update").weight == 2.0
    assert catalogue.exercise("mix").title == "mix"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_bug("x", extra='exercises = ["nope"]'), r"mine.toml \(chaff 'x'\).*'nope'.*known:"),
        ("[[exercise]]\nid = 'unit-tests'\n", "'unit-tests' is already declared in bugs.toml"),
        ("[[exercise]]\ntitle = 'no id'\n", "every exercise needs an id"),
        ("[[exercise]]\nid = 'e'\nlevels = ['cosmic']\n", "levels must be a list of"),
        ("[[exercise]]\nid = 'e'\npoints = 0\n", "points must be a positive number"),
        ("[[exercise]]\nid = 'e'\ncolour = 'red'\n", "unknown key"),
        (_bug("x", extra="weight = -1"), "weight must be a positive number"),
    ],
)
def test_a_flawed_exercise_or_weight_is_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        load([_write(tmp_path / "mine.toml", text)])


def test_private_entries_are_marked_and_left_out_of_the_public_catalogue(tmp_path: Path) -> None:
    public = _write(tmp_path / "bugs.toml", _bug("seen"))
    secret = _write(tmp_path / "private" / "bugs.toml", _bug("hidden"))

    catalogue = load([public], private=[secret])

    assert catalogue.named("hidden").private
    assert not catalogue.named("seen").private
    assert secret in catalogue.files
    names = {i.name for i in catalogue.public().implementations}
    assert "seen" in names
    assert "hidden" not in names
    assert catalogue.public().exercises == catalogue.exercises


def test_results_carry_private_and_weight_so_feedback_can_hide_titles(tmp_path: Path) -> None:
    secret = _write(tmp_path / "secret.toml", _bug("hidden", extra="weight = 3"))
    catalogue = load(private=[secret]).for_exercise("integration-tests")
    raw = Raw(tests=["test_a"])
    raw.outcomes = {w.name: {"test_a": Ran("passed")} for w in catalogue.of_kind("wheat")}
    raw.outcomes["hidden"] = {"test_a": Ran("failed")}

    result = summarise(raw, catalogue, "integration-tests")

    hidden = next(c for c in result.chaffs if c.name == "hidden")
    assert hidden.private
    assert hidden.weight == 3.0
    assert hidden.caught
    assert not any(c.private for c in result.chaffs if c.name != "hidden")
    text = str(result)
    assert "The teacher's own hidden" not in text
    assert "hidden bugs: 1 of 1 caught" in text


COURSE = """
[course]
name = "CS 101 testing"
bugs = ["bugs.toml"]
private = ["private/bugs.toml"]
deadline = "2026-12-10T23:59:00+01:00"
roster = "roster.csv"

[[exercise]]
id = "store-contract"
title = "The store's contract"
levels = ["integration"]
points = 10
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "my-course"
    _write(root / "course.toml", COURSE)
    _write(root / "bugs.toml", _bug("my-bug-a"))
    _write(root / "private" / "bugs.toml", _bug("my-bug-b"))
    (root / "source").mkdir()
    return root


def test_a_course_file_gives_its_catalogues_exercises_deadline_and_roster(course: Path) -> None:
    read = Course.read(course / "course.toml")

    assert read.name == "CS 101 testing"
    assert read.root == course.resolve()
    assert read.bugs == (course.resolve() / "bugs.toml",)
    assert read.kit_bugs is True
    assert read.deadline == dt.datetime(2026, 12, 10, 22, 59, tzinfo=dt.timezone.utc)
    assert read.roster == course.resolve() / "roster.csv"
    full = read.catalogue(private=True)
    assert _chaffs(full, "store-contract") == {"my-bug-a", "my-bug-b"}
    assert full.named("my-bug-b").private
    assert _chaffs(read.catalogue(private=False), "store-contract") == {"my-bug-a"}
    assert "my-bug-a" not in _chaffs(full, "integration-tests")


def test_a_course_is_found_from_a_notebooks_folder_upwards(course: Path, tmp_path: Path) -> None:
    found = Course.find(course / "source")

    assert found is not None
    assert found.name == "CS 101 testing"
    assert Course.find(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[course]\nbugs = ["missing.toml"]\n', "bugs names file.*missing.toml"),
        ('[course]\ndeadline = "next friday"\n', "not a date and time"),
        ('[course]\ndeadline = "2026-12-10T23:59:00"\n', "needs a time zone"),
        ("[course]\nkit_bugs = 'yes'\n", "kit_bugs must be true or false"),
        ("[course]\ncolour = 'red'\n", r"unknown key\(s\) in \[course\]: colour"),
        ("[students]\n", "unknown table"),
    ],
)
def test_a_flawed_course_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path / "course.toml", text)

    with pytest.raises(CatalogueError, match=message):
        Course.read(tmp_path)


def test_a_students_catalogue_is_the_courses_public_one_with_paths_from_the_notebook(
    course: Path,
) -> None:
    _write(course / "more.toml", _bug("my-bug-c"))

    catalogue = for_notebook(course / "source", ["../more.toml", "../bugs.toml"])

    assert _chaffs(catalogue, "store-contract") == {"my-bug-a", "my-bug-c"}
    assert not any(i.private for i in catalogue.implementations)
    with pytest.raises(CatalogueError, match=r"looked for .*my-course/source/more.toml"):
        for_notebook(course / "source", ["more.toml"])


def test_a_notebook_names_its_exercises_in_metadata_else_in_its_check_calls() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["orderkit"] = {"exercises": ["store-contract"]}
    notebook.cells = [
        nbformat.v4.new_code_cell('check("unit-tests")'),
        nbformat.v4.new_code_cell('result = check(exercise="store-contract", bugs=["b.toml"])'),
        nbformat.v4.new_code_cell("%%time\ncheck('x'"),  # not Python: nothing to read
        nbformat.v4.new_code_cell("orderkit.classroom.check('integration-tests')"),
    ]

    assert exercises_of(notebook) == ["store-contract"]  # the teacher's metadata decides
    del notebook.metadata["orderkit"]
    assert exercises_of(notebook) == ["unit-tests", "store-contract", "integration-tests"]


def test_the_exercise_of_a_notebook_must_be_one_the_catalogue_declares(course: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["orderkit"] = {"exercise": "store-contract"}
    known = Course.read(course).catalogue(private=True).exercises

    assert exercise_of(notebook, None, known) == "store-contract"
    with pytest.raises(UnknownExercise, match="store-contract"):
        exercise_of(notebook, None)  # the kit alone does not know it


def test_a_notebook_without_metadata_is_for_the_one_exercise_its_check_cells_name() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell('check("unit-tests")')]

    assert exercise_of(notebook, None) == "unit-tests"
    notebook.cells.append(nbformat.v4.new_code_cell('check("integration-tests")'))
    assert exercise_of(notebook, None) is None  # several: the batch scores each on its own


ORDER_TEST = """
def test_orders_are_listed_oldest_first():
    orders = OrderService(InventoryService({1: 10, 2: 5}))
    orders.create_order(1, 2)
    orders.create_order(2, 3)
    assert [o["item_id"] for o in orders.list_orders()] == [1, 2]
"""


@pytest.fixture
def real_course(tmp_path: Path) -> Path:
    root = tmp_path / "my-course"
    _write(root / "course.toml", COURSE)
    _write(root / "bugs.toml", ORDERS_REVERSED)
    _write(root / "private" / "bugs.toml", QUANTITY_ONE)
    (root / "source").mkdir()
    return root


def test_check_in_a_course_notebook_grades_its_exercise_on_the_public_bugs_only(
    real_course: Path, student_module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(real_course / "source")

    result = check("store-contract", module=student_module(ORDER_TEST))

    assert [(c.name, c.caught) for c in result.chaffs] == [("orders-reversed", True)]
    with pytest.raises(CatalogueError, match=r"looked for .*my-course/source/nope\.toml"):
        check("store-contract", module=student_module(ORDER_TEST), bugs=["nope.toml"])


@pytest.mark.slow
def test_the_batch_grades_a_course_exercise_with_its_private_bugs_counted_not_named(
    real_course: Path, tmp_path: Path
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from orderkit import InventoryService, OrderService\n"
            "from orderkit.classroom import check"
        ),
        nbformat.v4.new_code_cell(ORDER_TEST),
        nbformat.v4.new_code_cell('check("store-contract")'),
    ]
    submission = tmp_path / "anna.ipynb"
    nbformat.write(notebook, submission)
    catalogue = Course.read(real_course).catalogue(private=True)

    grades, _ = grade_all([submission], tmp_path / "grades", catalogue, jobs=1)

    result = grades[0].result
    assert result is not None
    assert grades[0].exercise == "store-contract"
    assert grades[0].notes == ""
    assert [(c.name, c.caught, c.private) for c in result.chaffs] == [
        ("orders-reversed", True, False),
        ("quantity-one", False, True),
    ]
    assert "hidden bugs: 0 of 1 caught" in str(result)
    assert "quantity of 1" not in str(result)
