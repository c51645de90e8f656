"""Coverage hints: what no valid test runs, shown only once every test is valid, never a bug,
the same from check() and from the batch, and never a change to a verdict or a score."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from orderkit.classroom import check, load
from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.bugs.errors import CatalogueError
from orderkit.classroom.bugs.exercises import Exercise, parse_exercise
from orderkit.classroom.bugs.kitpatch import Change
from orderkit.classroom.grading import engine, hints
from orderkit.classroom.grading.results import HINTS_HEAD
from orderkit.classroom.report.feedback import write_feedback
from orderkit.classroom.runtime import measure
from tests.classroom.conftest import HEADER
from tests.classroom.notebooks import notebook, write

Build = Callable[[str], types.ModuleType]

ORDERS = """
def test_order_takes_stock():
    inventory = InventoryService()
    OrderService(inventory).create_order(1, 2)
    assert inventory.check_stock(1) == 8
"""
RESTOCKS = """
def test_restock_adds():
    inventory = InventoryService()
    inventory.restock(1, 3)
    assert inventory.check_stock(1) == 13
"""
NOT_VALID = """
def test_wrong_expectation():
    assert InventoryService().check_stock(1) == 11
"""
SNEAKY = """
import sys

def test_sneaky():
    if sys.gettrace() is not None:  # only in the hint run: coverage traces it
        InventoryService().restock(1, 1)
        assert False, "fails only when traced"
"""
NEVER_RESTOCKED = "no test runs InventoryService.restock"


def test_a_function_no_valid_test_calls_is_named_and_one_that_is_called_is_not(
    student_module: Build,
) -> None:
    without = check("unit-tests", module=student_module(ORDERS))
    called = check("unit-tests", module=student_module(ORDERS + RESTOCKS))

    assert without.valid == ("test_order_takes_stock",)
    assert NEVER_RESTOCKED in without.hints
    assert NEVER_RESTOCKED in str(without)
    assert HINTS_HEAD in str(without)
    assert called.hints
    assert NEVER_RESTOCKED not in called.hints
    assert "no test runs InventoryService.set_stock" in called.hints
    # branches by their line's code, never by a line number
    assert any("`if quantity < lowest:` true" in hint for hint in without.hints)
    assert not any(char.isdigit() for hint in without.hints for char in hint.split("`")[0])
    # the exercise's scope: cancelling belongs to test-first, not to unit-tests
    assert not any("cancel_order" in hint for hint in without.hints)


def test_no_hint_at_all_while_a_test_is_not_valid_or_when_there_are_no_tests(
    student_module: Build,
) -> None:
    invalid = check("unit-tests", module=student_module(ORDERS + NOT_VALID))
    empty = check("unit-tests", module=student_module(""))

    assert list(invalid.invalid) == ["test_wrong_expectation"]
    assert invalid.hints == ()
    assert empty.hints == ()
    assert "coverage" not in str(invalid)
    assert "coverage" not in str(empty)


def test_in_one_process_the_hints_are_the_same_and_without_coverage_one_line_says_so(
    student_module: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = check("unit-tests", module=student_module(ORDERS))
    monkeypatch.setenv(engine.NO_FORK, "1")
    in_process = check("unit-tests", module=student_module(ORDERS))
    monkeypatch.setattr(measure, "available", lambda: False)  # as in a browser without it
    without = check("unit-tests", module=student_module(ORDERS))

    assert in_process.hints == forked.hints
    assert without.hints == ()
    assert without.hints_note == hints.UNAVAILABLE
    assert str(without).endswith(f"  . {hints.UNAVAILABLE}")
    assert without.caught == forked.caught
    assert without.valid == forked.valid


@pytest.mark.skipif(sys.gettrace() is not None, reason="these tests themselves run traced")
def test_in_check_a_test_that_sees_the_tracer_changes_the_hints_and_nothing_else(
    student_module: Build,
) -> None:
    plain = check("unit-tests", module=student_module(ORDERS + "\ndef test_sneaky():\n    pass\n"))
    sneaky = check("unit-tests", module=student_module(ORDERS + SNEAKY))

    assert NEVER_RESTOCKED in plain.hints
    assert NEVER_RESTOCKED not in sneaky.hints  # its traced branch ran in the hint run only
    assert [(v.name, v.status) for v in sneaky.verdicts] == [
        (v.name, v.status) for v in plain.verdicts
    ]
    assert sneaky.chaffs == plain.chaffs


def test_the_scope_is_what_the_public_entries_change_never_a_private_bugs_file() -> None:
    kit = load()
    reference = kit.of_kind("wheat")[0]
    public = dataclasses.replace(
        kit.of_kind("chaff")[0],
        name="public",
        changes=(Change("inventory.py", "a", "b", within="InventoryService.restock"),),
    )
    private = dataclasses.replace(
        public,
        name="private",
        private=True,
        changes=(Change("stores/sqlite.py", "a", "b", within="SqliteStore.close"),),
    )
    catalogue = Catalogue((reference, public, private))

    found = hints.scope(catalogue, None)
    shown = hints.hints({}, found)

    assert found.files == ("inventory.py",)
    assert "no test runs InventoryService.restock" in shown
    assert not any("Sqlite" in hint or "sqlite" in hint for hint in shown)
    narrowed = hints.scope(catalogue, Exercise("x", "x", hints=("InventoryService.check_*",)))
    assert hints.hints({}, narrowed) == ("no test runs InventoryService.check_stock",)


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (["nowhere.py"], "not a file of the kit"),
        (["Inventory Service.restock"], "hints entries are kit files"),
        ("inventory.py", "must be a list of names"),
    ],
)
def test_an_exercise_s_hints_key_is_checked(given: object, error: str) -> None:
    with pytest.raises(CatalogueError, match=error):
        parse_exercise({"id": "e", "title": "E", "hints": given}, "course.toml")


def test_the_batch_gives_check_s_hints_and_a_test_that_sees_the_tracer_changes_only_them(
    student_module: Build, tmp_path: Path
) -> None:
    plain, sneaky = ORDERS + "\ndef test_sneaky():\n    pass\n", ORDERS + SNEAKY
    paths = [
        write(tmp_path, name, notebook([HEADER + source]))
        for name, source in (("plain", plain), ("sneaky", sneaky))
    ]
    grades, _ = grade_all(paths, tmp_path / "out", load(), exercise_id="unit-tests", jobs=2)
    rows = {g.student: g for g in grades}
    in_kernel = check("unit-tests", module=student_module(plain))

    plain_result, sneaky_result = rows["plain"].result, rows["sneaky"].result
    assert plain_result is not None
    assert sneaky_result is not None
    assert plain_result.hints == in_kernel.hints
    assert NEVER_RESTOCKED in plain_result.hints
    assert NEVER_RESTOCKED not in sneaky_result.hints  # the hint run ran its traced branch
    for row, result in ((rows["plain"], plain_result), (rows["sneaky"], sneaky_result)):
        assert [v.status for v in result.verdicts] == ["valid", "valid"]
        assert {c.name for c in result.chaffs if c.caught} == {
            c.name for c in in_kernel.chaffs if c.caught
        }
        assert row.notes == rows["plain"].notes
        assert row.limits == ""


def test_the_feedback_json_holds_the_hints_and_follows_its_schema(tmp_path: Path) -> None:
    schema = json.loads(
        resources.files("orderkit.classroom.grading")
        .joinpath("feedback.schema.json")
        .read_text(encoding="utf-8")
    )
    from orderkit.classroom.grading.results import CheckResult, Verdict

    shown = ("no test runs InventoryService.restock", "X.f: no test makes `if a:` true")
    result = CheckResult((Verdict("test_a", "valid"),), hints=shown, exercise="unit-tests")
    grade = Grade("ann", "/c/ann.ipynb", "/c/ann.ipynb", result, exercise="unit-tests")

    folder = write_feedback([grade], tmp_path)
    data = json.loads((folder / f"{grade.slug}.json").read_text(encoding="utf-8"))
    page = (folder / f"{grade.slug}.html").read_text(encoding="utf-8")

    jsonschema.validate(data, schema)
    assert data["coverage_hints"] == list(shown)
    assert "InventoryService.restock" in page
    assert 'id="coverage-hints"' in page
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "coverage_hints": [3]}, schema)
