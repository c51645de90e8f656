"""Lesson 09's tools: coverage and mutation runs of a suite against the kit.

The runs start real processes (pytest-cov, mutmut), so the tests that make one are
``slow``; each keeps to the order service, whose mutants take a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orderkit import InventoryService, OrderkitError, OrderService
from orderkit.suite_quality import (
    CoverageRun,
    Mutant,
    MutationRun,
    NoTestRunsTheMutants,
    SuiteRunError,
    hand_made_mutant,
    measure_coverage,
    recording,
    run_mutmut,
    stored_run,
    suite_source,
)

LISTENER = "orderkit.orders.xǁOrderServiceǁcreate_order__mutmut_10"


# The suites the runs measure (module level, so that their source can be read).
def test_order_unchecked() -> None:
    OrderService(InventoryService({"LAMP": 10})).create_order("LAMP", 3)


def test_listeners_hear_of_each_order() -> None:
    heard: list[object] = []
    orders = OrderService(InventoryService({"LAMP": 10}))
    orders.subscribe(heard.append)

    order = orders.create_order("LAMP", 3)

    assert heard == [order]


def test_nothing_at_all() -> None:
    pass


def test_a_suite_is_written_under_the_kits_imports() -> None:
    source = suite_source([test_order_unchecked])

    assert source.startswith("import pytest\n\nfrom orderkit import ")
    assert "InventoryService, " in source
    assert "def test_order_unchecked() -> None:" in source
    compile(source, "test_suite.py", "exec")


@pytest.mark.parametrize("bad", [[], [print], [len]])
def test_a_suite_of_no_test_functions_is_refused(bad: list[object]) -> None:
    with pytest.raises(SuiteRunError, match="test"):
        suite_source(bad)  # type: ignore[arg-type]


def test_a_suite_run_error_is_one_of_the_kits_errors() -> None:
    assert issubclass(NoTestRunsTheMutants, SuiteRunError)
    assert issubclass(SuiteRunError, OrderkitError)


@pytest.mark.slow
def test_coverage_counts_the_lines_a_test_runs_without_asserting() -> None:
    run = measure_coverage([test_order_unchecked], ["orders.py"])

    assert run.tests == "1 passed"
    assert run.table.splitlines()[0].split() == [
        "Name", "Stmts", "Miss", "Branch", "BrPart", "Cover", "Missing"
    ]  # fmt: skip
    assert run.table.splitlines()[2].startswith("orderkit/orders.py ")
    missed = run.missed_in(OrderService.create_order)  # it ran; nothing was checked
    assert [line.split(":", 1)[1].strip() for line in missed] == ["listener(order)"]
    assert missed[0].startswith(f"{run.missed('orders.py')[2]}: ")
    assert len(run.missed_in(OrderService.subscribe)) == 2


@pytest.mark.slow
def test_a_mutant_that_only_an_assertion_kills() -> None:
    unchecked = run_mutmut([test_order_unchecked], ["orders.py"])
    checked = run_mutmut([test_listeners_hear_of_each_order], ["orders.py"])

    assert unchecked.mutant(LISTENER).fate == "survived"
    assert "+        listener(None)" in unchecked.mutant(LISTENER).diff
    assert checked.mutant(LISTENER).fate == "killed"
    assert checked.mutant(LISTENER).diff == ""  # diffs for survivors only
    assert set(unchecked.counts()) <= {"killed", "survived", "no tests"}
    assert sum(unchecked.counts().values()) == len(unchecked.mutants)


@pytest.mark.slow
def test_mutmut_stopping_for_want_of_tests_says_so() -> None:
    with pytest.raises(NoTestRunsTheMutants, match="no test of this suite runs"):
        run_mutmut([test_nothing_at_all], ["orders.py"])


def test_a_mutant_names_the_function_it_mutates() -> None:
    method = Mutant("orderkit.inventory.xǁInventoryServiceǁ__init____mutmut_3", "killed")
    function = Mutant("orderkit.inventory.x__checked_stock__mutmut_2", "survived")

    assert method.function == "InventoryService.__init__"
    assert function.function == "_checked_stock"


def test_a_run_counts_fates_in_order_and_groups_survivors() -> None:
    run = MutationRun(
        ("orders.py",),
        (
            Mutant("m.xǁAǁf__mutmut_1", "no tests"),
            Mutant("m.xǁAǁf__mutmut_2", "survived", "-a\n+b"),
            Mutant("m.x_g__mutmut_1", "killed"),
            Mutant("m.x_g__mutmut_2", "survived", "-c\n+d"),
        ),
    )

    assert list(run.counts().items()) == [("killed", 1), ("survived", 2), ("no tests", 1)]
    assert run.score() == "1 of 4 mutants killed (25%)"
    assert run.survivors_by_function() == {"A.f": 1, "g": 1}
    with pytest.raises(SuiteRunError, match="no mutant named"):
        run.mutant("m.x_h__mutmut_1")


def test_runs_survive_a_recording(tmp_path: Path) -> None:
    coverage = CoverageRun("pytest --cov", "1 passed", "Name ...\nTOTAL")
    mutation = MutationRun(("orders.py",), (Mutant("m.x_g__mutmut_1", "survived", "-a\n+b"),))
    path = tmp_path / "runs.json"
    path.write_text(recording({"coverage": coverage, "mutation": mutation, "other": 3}))

    assert stored_run(path, "coverage") == coverage
    assert stored_run(path, "mutation") == mutation
    with pytest.raises(SuiteRunError, match="no run called 'other'"):
        stored_run(path, "other")


def test_coverage_lists_the_lines_it_missed() -> None:
    run = CoverageRun(
        "",
        "",
        "Name  Stmts   Miss Branch BrPart  Cover   Missing\n"
        "orderkit/orders.py  26  6  2  1  75%   31, 36, 48->50, 57-58\n"
        "TOTAL  26  6  2  1  75%",
    )

    assert run.missed("orders.py") == [31, 36, 57, 58]
    with pytest.raises(SuiteRunError, match=r"inventory\.py is not in"):
        run.missed("inventory.py")


def test_a_hand_made_mutant_is_shown_as_a_diff_of_the_kit() -> None:
    shown = hand_made_mutant("restock-replaces")

    assert shown.startswith("chaff 'restock-replaces': ")
    assert "-        level = self._store.add_stock(item_id, quantity)" in shown
    assert "+        self._store.set_stock(item_id, quantity)" in shown
