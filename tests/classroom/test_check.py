"""check(): a student's tests run on correct code and on every bug of the catalogue."""

from __future__ import annotations

import types
from collections.abc import Callable

import pytest

from orderkit.classroom import CHAFFS, EXERCISES, check
from orderkit.classroom.scoreboard import Scoreboard
from orderkit.classroom.errors import UnknownExercise
from orderkit.errors import OrderkitError

Build = Callable[[str], types.ModuleType]

TUTORIAL_TESTS = """
def test_order_takes_stock():
    inventory = InventoryService()
    OrderService(inventory).create_order(1, 2)
    assert inventory.check_stock(1) == 8

def test_short_order_is_refused_and_changes_nothing():
    inventory = InventoryService()
    with pytest.raises(InsufficientStock):
        OrderService(inventory).create_order(2, 6)
    assert inventory.check_stock(2) == 5
"""


def _caught(result: object) -> set[str]:
    return {c.name for c in result.chaffs if c.caught}  # type: ignore[attr-defined]


def test_the_tutorials_tests_catch_exactly_the_bugs_they_exercise(student_module: Build) -> None:
    result = check("unit-tests", module=student_module(TUTORIAL_TESTS))

    assert result.valid == (
        "test_order_takes_stock",
        "test_short_order_is_refused_and_changes_nothing",
    )
    assert _caught(result) == {
        "takes-stock-when-short",
        "swapped-arguments",
        "quantity-ignored",
        "wrong-exception",
    }
    assert result.caught == 4
    assert len(result.chaffs) == len(EXERCISES["unit-tests"].chaffs())


def test_a_test_that_fails_on_correct_code_is_named_and_catches_nothing(
    student_module: Build,
) -> None:
    module = student_module(
        """
        def test_wrong_expectation():
            assert InventoryService().check_stock(1) == 11
        """
    )

    result = check("unit-tests", module=module)

    assert list(result.invalid) == ["test_wrong_expectation"]
    assert "fails on correct code" in str(result)
    assert result.caught == 0


def test_a_stub_is_reported_as_not_written(student_module: Build) -> None:
    module = student_module(
        """
        def test_later():
            raise NotImplementedError()
        """
    )

    result = check("unit-tests", module=module)

    assert result.not_written == ("test_later",)
    assert result.invalid == {}
    assert "test_later is not written yet" in str(result)


def test_a_hanging_test_is_cut_off_with_a_clear_message(student_module: Build) -> None:
    module = student_module(
        """
        def test_spins_forever():
            while True:
                pass
        """
    )

    result = check("unit-tests", module=module, timeout=0.3)

    assert "Timeout" in result.invalid["test_spins_forever"]


def test_a_test_that_hangs_only_on_a_bug_catches_it_and_is_reported(
    student_module: Build,
) -> None:
    module = student_module(
        """
        def test_waits_while_the_stock_stays_full():
            inventory = InventoryService()
            OrderService(inventory).create_order(1, 2)
            while inventory.check_stock(1) == 10:
                pass
        """
    )

    result = check("unit-tests", module=module, timeout=0.3)

    assert result.valid == ("test_waits_while_the_stock_stays_full",)
    assert "swapped-arguments" in _caught(result)
    assert ("test_waits_while_the_stock_stays_full", "swapped-arguments") in result.timeouts


def test_classes_are_swapped_whatever_name_they_were_imported_under(
    student_module: Build,
) -> None:
    module = student_module(
        """
        from orderkit import InventoryService as Inventory

        def test_restock_adds():
            inventory = Inventory({"LAMP": 2})
            inventory.restock("LAMP", 3)
            assert inventory.check_stock("LAMP") == 5
        """
    )

    result = check("unit-tests", module=module)

    assert _caught(result) == {"restock-replaces"}


def test_names_are_restored_after_the_check(student_module: Build) -> None:
    from orderkit import InventoryService

    module = student_module(TUTORIAL_TESTS)

    check("unit-tests", module=module)

    assert module.InventoryService is InventoryService


def test_without_an_exercise_the_whole_catalogue_is_used(student_module: Build) -> None:
    result = check(module=student_module(TUTORIAL_TESTS))

    assert [c.name for c in result.chaffs] == [c.name for c in CHAFFS]


def test_an_unknown_exercise_is_a_clear_error(student_module: Build) -> None:
    with pytest.raises(UnknownExercise, match=r"'nope'.*unit-tests"):
        check("nope", module=student_module(TUTORIAL_TESTS))
    assert issubclass(UnknownExercise, OrderkitError)


def test_no_tests_gives_an_empty_result_not_an_error(student_module: Build) -> None:
    result = check("unit-tests", module=student_module(""))

    assert result.tests == ()
    assert result.score == 0.0


def test_the_scoreboard_shows_titles_and_hints_never_source(student_module: Build) -> None:
    result = check("unit-tests", module=student_module(TUTORIAL_TESTS))

    board = Scoreboard(result)
    page = "".join(
        child.value
        for child in board.children
        if hasattr(child, "value") and isinstance(child.value, str)
    )

    missed = [c for c in result.chaffs if not c.caught]
    assert all(c.title in page for c in result.chaffs)
    assert all(c.hint in page for c in missed)
    assert not any(c.hint in page for c in result.chaffs if c.caught)
    assert "def " not in page
    assert "_OffByOne" not in page
    assert "class " not in page
    assert repr(board) == str(result)
