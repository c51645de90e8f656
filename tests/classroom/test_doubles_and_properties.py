"""The exercises after lessons 03 and 07: over-specified mocks named as such, the same in
check() and the batch; property bugs that the examples miss and the properties catch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from orderkit.classroom import load
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.grading.results import summarise
from orderkit.classroom.notebook.scoreboard import Scoreboard
from orderkit.classroom.runtime.testrun import Ran
from tests.classroom.notebooks import check_in_kernel, grade_class, notebook, write

ROOT = Path(__file__).resolve().parents[2]
PROPERTIES = ROOT / "classroom" / "source" / "17-exercise-property-based-tests.ipynb"
RULE = "assert on what matters, not on how"


def _names(exercise: str, kind: str) -> set[str]:
    return {i.name for i in load().for_exercise(exercise).of_kind(kind)}  # type: ignore[arg-type]


def test_each_exercise_grades_its_own_bugs_and_the_others_are_unchanged() -> None:
    doubles, properties = _names("test-doubles", "chaff"), _names("properties", "chaff")

    assert {"swapped-arguments", "quantity-ignored", "takes-stock-twice"} <= doubles
    assert len(doubles) == 7
    assert properties == {
        "restock-wraps-around",
        "forgets-the-ninth-item",
        "item-zero-refused",
        "stale-stock-after-restock",
        "orders-sorted-as-text",
    }
    assert not (doubles - {"swapped-arguments", "quantity-ignored"}) & _names("unit-tests", "chaff")
    assert not properties & (_names("unit-tests", "chaff") | _names("integration-tests", "chaff"))
    assert {"keyword-arguments", "reads-stock-first"} <= _names("test-doubles", "wheat")
    assert not {"keyword-arguments", "reads-stock-first"} & _names("unit-tests", "wheat")


def _raw(failing_on: str, catalogue: Any) -> Raw:
    raw = Raw(tests=["test_pinned"])
    raw.outcomes = {
        w.name: {"test_pinned": Ran("failed" if w.name == failing_on else "passed")}
        for w in catalogue.of_kind("wheat")
    }
    return raw


@pytest.mark.parametrize("wheat", ["keyword-arguments", "reads-stock-first"])
def test_a_test_failing_on_a_wheat_with_a_rule_is_over_specified_and_told_the_rule(
    wheat: str,
) -> None:
    catalogue = load().for_exercise("test-doubles")

    result = summarise(_raw(wheat, catalogue), catalogue, "test-doubles")

    (verdict,) = result.verdicts
    assert verdict.status == "over-specified"
    assert not verdict.valid
    assert verdict.message.startswith("over-specified: it fails on correct code that ")
    assert catalogue.named(wheat).detail in verdict.message
    assert RULE in verdict.message
    assert f"! test_pinned: {verdict.message}" in str(result)
    assert "over-specified" in Scoreboard(result).children[2].value


def test_a_wheat_without_a_rule_still_says_unspecified() -> None:
    catalogue = load().for_exercise("test-doubles")

    (verdict,) = summarise(_raw("ids-with-gaps", catalogue), catalogue).verdicts

    assert verdict.status == "unspecified"
    assert RULE not in verdict.message


PINNED = [
    "from unittest.mock import Mock, call, create_autospec\nimport pytest\n"
    "from orderkit import InsufficientStock, InventoryService, MemoryStore, OrderService",
    """
def test_exact_list_of_calls():
    inventory = create_autospec(InventoryService, instance=True)
    OrderService(inventory).create_order(2, 3)
    assert inventory.mock_calls == [call.take_for_order(2, 3)]


def test_never_reads_the_stock():
    inventory = create_autospec(InventoryService, instance=True)
    OrderService(inventory).create_order(2, 3)
    inventory.check_stock.assert_not_called()


def test_bare_mock_positional():
    inventory = Mock()
    OrderService(inventory).create_order(2, 3)
    inventory.take_for_order.assert_called_once_with(2, 3)


class StubInventory:
    def take_for_order(self, item_id, quantity):
        return {"order_id": 7, "item_id": item_id, "quantity": quantity}


def test_stub_with_one_method():
    assert OrderService(StubInventory()).create_order(2, 3)["order_id"] == 7


def test_autospec_call():
    inventory = create_autospec(InventoryService, instance=True)
    OrderService(inventory).create_order(2, 3)
    inventory.take_for_order.assert_called_once_with(2, 3)


def test_fake_state():
    inventory = InventoryService({1: 10, 2: 5}, store=MemoryStore())
    orders = OrderService(inventory)
    order = orders.create_order(2, 3)
    assert inventory.snapshot() == {1: 10, 2: 2}
    assert orders.list_orders() == [order]
""",
]
OVER_SPECIFIED = {
    "test_exact_list_of_calls",
    "test_never_reads_the_stock",
    "test_bare_mock_positional",
    "test_stub_with_one_method",
}
STATUSES = """
import json as _json
print("VERDICT" + _json.dumps({{"statuses": sorted(
    [v.name, v.status, v.message] for v in check({exercise!r}).verdicts
)}}))
"""


@pytest.mark.slow
def test_check_and_the_batch_both_call_pinning_tests_over_specified(tmp_path: Path) -> None:
    book = notebook(PINNED, exercise="test-doubles")
    path = write(tmp_path, "pinned", book)
    _, results, done = grade_class([path], Path("grades"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    batch = sorted(
        [v["name"], v["status"], v["message"]] for v in results["pinned"]["result"]["verdicts"]
    )

    in_kernel = check_in_kernel(book, tmp_path, "test-doubles", verdict=STATUSES)["statuses"]

    assert in_kernel == batch
    assert {name for name, status, _ in batch if status == "over-specified"} == OVER_SPECIFIED
    assert {name for name, status, _ in batch if status == "valid"} == {
        "test_autospec_call",
        "test_fake_state",
    }
    assert all(RULE in message for _, status, message in batch if status == "over-specified")


def _part(source: Path, keep: str) -> nbformat.NotebookNode:
    """The setup cell and the cells of one part of ``source`` (before or after the first
    check cell), without its check cells: the examples alone, or the properties alone."""
    book = nbformat.read(source, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    first_check = next(n for n, c in enumerate(code) if c.source.startswith("check("))
    chosen = code[1:first_check] if keep == "examples" else code[first_check + 1 :]
    cells = [code[0], *(c for c in chosen if not c.source.startswith("check("))]
    return notebook([c.source for c in cells], exercise="properties")


@pytest.mark.slow
def test_the_examples_catch_none_of_the_property_bugs_and_the_properties_all(
    tmp_path: Path,
) -> None:
    paths = [write(tmp_path, part, _part(PROPERTIES, part)) for part in ("examples", "properties")]

    grades, _ = grade_all(paths, tmp_path / "out", load(), timeout=120)

    caught = {}
    for grade in grades:
        assert grade.result is not None, grade.notes
        assert grade.result.invalid == {}
        assert not grade.result.stopped_on_bugs()
        caught[grade.student] = grade.result.caught
    assert caught == {"examples": 0, "properties": 5}


def test_the_database_exercise_adds_one_bug_per_topic_to_the_three_it_had() -> None:
    old = {"never-commits", "reseeds-on-open", "text-item-ids"}
    new = {"order-outside-the-transaction", "order-ids-restart-on-open", "numeric-item-ids"}

    assert _names("database", "chaff") == old | new
    assert old <= _names("integration-tests", "chaff")
    assert not new & _names("integration-tests", "chaff")
