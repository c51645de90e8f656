"""check(): a student's tests run on correct code and on every bug of the catalogue."""

from __future__ import annotations

import os
import signal
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from orderkit.classroom import check, load
from orderkit.classroom.bugs.errors import UnknownExercise
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
    assert len(result.chaffs) == len(load().for_exercise("unit-tests").of_kind("chaff")) == 10


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

    assert result.invalid["test_spins_forever"] == (
        "this test ran for more than 0.3 s of CPU time on the correct code and was stopped"
    )


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
    (chaff,) = [c for c in result.chaffs if c.name == "swapped-arguments"]
    assert chaff.hung == ("test_waits_while_the_stock_stays_full",)


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


def test_the_kit_is_the_correct_one_again_after_the_check(student_module: Build) -> None:
    import orderkit
    from orderkit import InventoryService

    check("unit-tests", module=student_module(TUTORIAL_TESTS))

    assert module_is_correct(InventoryService)
    assert orderkit.InventoryService is InventoryService


def module_is_correct(inventory_class: type) -> bool:
    inventory = inventory_class({2: 5})
    return bool(inventory.check_stock(99) == 0 and inventory.restock(2, 3) == 8)


def test_without_an_exercise_the_whole_catalogue_is_used(student_module: Build) -> None:
    result = check(module=student_module(TUTORIAL_TESTS))

    assert [c.name for c in result.chaffs] == [c.name for c in load().of_kind("chaff")]
    assert len(result.chaffs) == 37  # 16 of exercises 10 and 11, 8 of 12, 13 of 13, 15 and 17


def test_an_unknown_exercise_is_a_clear_error(student_module: Build) -> None:
    with pytest.raises(UnknownExercise, match=r"'nope'.*unit-tests"):
        check("nope", module=student_module(TUTORIAL_TESTS))
    assert issubclass(UnknownExercise, OrderkitError)


def test_no_tests_gives_an_empty_result_not_an_error(student_module: Build) -> None:
    result = check("unit-tests", module=student_module(""))

    assert result.tests == ()
    assert result.score == 0.0


def test_a_test_relying_on_what_the_contract_leaves_open_is_told_which_detail(
    student_module: Build,
) -> None:
    module = student_module(
        """
        def test_exact_message():
            with pytest.raises(InsufficientStock, match="requested 6, available 5"):
                OrderService(InventoryService()).create_order(2, 6)

        def test_no_gap_after_a_refused_order():
            orders = OrderService(InventoryService())
            with pytest.raises(InsufficientStock):
                orders.create_order(2, 6)
            assert orders.create_order(1, 1)["order_id"] == 1
        """
    )

    result = check("unit-tests", module=module)

    assert "exact wording of an error message" in result.invalid["test_exact_message"]
    assert "order ids without gaps" in result.invalid["test_no_gap_after_a_refused_order"]
    assert result.caught == 0


def test_a_test_that_fails_on_correct_code_is_told_the_misconception_it_encodes(
    student_module: Build,
) -> None:
    module = student_module(
        """
        def test_first_id():
            assert OrderService(InventoryService()).create_order(1, 1)["order_id"] == 0

        def test_unknown_item():
            with pytest.raises(KeyError):
                InventoryService().check_stock(99)
        """
    )

    result = check("unit-tests", module=module)

    assert "order ids to start at 0" in result.invalid["test_first_id"]
    assert "expects a KeyError" in result.invalid["test_unknown_item"]


def test_a_valid_test_that_asserts_nothing_is_named(student_module: Build) -> None:
    module = student_module(
        """
        def test_just_calls():
            OrderService(InventoryService()).create_order(1, 2)

        def test_checks():
            assert InventoryService().check_stock(1) == 10
        """
    )

    result = check("unit-tests", module=module)

    asserts = {v.name: v.asserts for v in result.verdicts}
    assert asserts == {"test_just_calls": False, "test_checks": True}
    assert "test_just_calls asserts nothing: it can only catch crashes" in str(result)


def test_a_bug_title_is_shown_only_once_caught_unless_the_teacher_says(
    student_module: Build,
) -> None:
    module = student_module(TUTORIAL_TESTS)

    hidden, shown = (
        check("unit-tests", module=module),
        check("unit-tests", module=module, show_titles=True),
    )

    missed = [c for c in hidden.chaffs if not c.caught]
    assert missed
    assert not any(c.title in str(hidden) for c in missed)
    assert all(c.hint in str(hidden) for c in missed)
    assert all(c.title in str(shown) for c in shown.chaffs)


def test_a_class_pytest_cannot_collect_is_reported_not_dropped(student_module: Build) -> None:
    module = student_module(
        """
        class TestWithInit:
            def __init__(self):
                self.inventory = InventoryService()

            def test_stock(self):
                assert self.inventory.check_stock(1) == 10
        """
    )

    result = check("unit-tests", module=module)

    assert result.uncollected
    assert "TestWithInit" in str(result)
    assert "__init__" in str(result)


def test_a_teachers_catalogue_adds_a_bug(student_module: Build, tmp_path: Path) -> None:
    bugs = tmp_path / "bugs.toml"
    bugs.write_text(TEACHERS_BUG, encoding="utf-8")

    result = check("unit-tests", module=student_module(TUTORIAL_TESTS), bugs=[bugs])

    assert "snapshot-drops-empty" in {c.name for c in result.chaffs}
    assert "snapshot-drops-empty" not in _caught(result)


TEACHERS_BUG = """
[[chaff]]
name = "snapshot-drops-empty"
title = "snapshot() leaves out sold-out items"
level = "unit"
hint = "Sell an item out: is it still in the snapshot?"
[[chaff.change]]
file = "stores/memory.py"
find = "            return dict(self._stock)"
replace = "            return {k: v for k, v in self._stock.items() if v}"
"""


def test_when_pytest_cannot_start_the_scoreboard_says_the_grader_failed(
    student_module: Build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from orderkit.classroom.grading import engine

    monkeypatch.setattr(engine, "PYTEST_INI", tmp_path / "missing.ini")

    result = check("unit-tests", module=student_module(TUTORIAL_TESTS))

    assert result.error.startswith("pytest stopped before running the tests")
    assert str(result).startswith("The grader itself failed (not your tests)")
    assert result.tests == ()


def test_a_conftest_planted_in_the_temporary_folder_does_not_reach_the_check(
    student_module: Build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # check() collects in a folder made in the temporary folder, which on a shared machine
    # anyone may write to: a conftest.py there must not change anybody's verdicts.
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture(autouse=True)\n"
        "def everything_fails():\n"
        "    raise RuntimeError('planted')\n"
    )
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    result = check("unit-tests", module=student_module(TUTORIAL_TESTS))

    assert result.valid == (
        "test_order_takes_stock",
        "test_short_order_is_refused_and_changes_nothing",
    )
    assert result.caught == 4


def test_a_test_that_ends_its_run_on_a_bug_has_caught_it(student_module: Build) -> None:
    module = student_module(
        """
        import os

        def test_a_refused_order_leaves_the_stock_or_the_run_ends():
            inventory = InventoryService({2: 5})
            with pytest.raises(InsufficientStock):
                OrderService(inventory).create_order(2, 6)
            if inventory.check_stock(2) != 5:
                os._exit(0)  # quietly, as if all was well
        """
    )

    result = check("unit-tests", module=module)

    assert result.valid == ("test_a_refused_order_leaves_the_stock_or_the_run_ends",)
    assert "takes-stock-when-short" in _caught(result)


def test_without_fork_or_timer_signals_a_hanging_test_is_still_stopped(
    student_module: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderkit.classroom.runtime import testrun

    monkeypatch.setenv("ORDERKIT_NO_FORK", "1")
    monkeypatch.setattr(testrun, "CAN_ALARM", False)  # as in the browser: no setitimer
    module = student_module(
        """
        def test_spins_forever():
            while True:
                pass

        def test_stock():
            assert InventoryService().check_stock(1) == 10
        """
    )

    result = check("unit-tests", module=module, timeout=0.3)

    assert "take turns" in result.isolation
    stopped = "this test ran for more than 0.3 s of CPU time on the correct code and was stopped"
    assert result.invalid == {"test_spins_forever": stopped}
    assert result.valid == ("test_stock",)


@pytest.mark.slow
def test_a_run_dies_with_the_process_that_forked_it(tmp_path: Path) -> None:
    marker = tmp_path / "run.pid"
    pid = os.fork()
    if pid == 0:  # a kernel (or a grader's worker) that gets killed mid-check
        os.chdir(tmp_path)  # where ipytest's placeholder file is left behind
        module = types.ModuleType("student")
        exec(
            "import os, time\n"
            "def test_sleeps():\n"
            f"    open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
            "    time.sleep(60)\n",
            module.__dict__,
        )
        check("unit-tests", module=module, timeout=120)
        os._exit(0)
    deadline = time.monotonic() + 30
    # The file exists as soon as open() makes it, before the run's pid is written into it.
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    run = int(marker.read_text())

    while Path(f"/proc/{run}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{run}").exists()
