"""Every family of cheat scores 0 in ``orderkit grade``; no submission changes a neighbour's row.

The cheats are in :mod:`tests.classroom.forgers`; the honest neighbour is the plain-functions
style of :mod:`tests.classroom.styles`, graded once alone and once among the cheats and the hog.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

import orderkit.inventory
from orderkit import InventoryService
from orderkit.classroom.batch import limits
from tests.classroom import forgers, styles
from tests.classroom.notebooks import grade_class, notebook, write

pytestmark = pytest.mark.slow


def _pinned() -> str:
    """What a student computes in their own kernel, then pastes into a cell."""
    code = InventoryService.decrement_stock.__code__
    return hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest()


def _order() -> list[str]:
    """The order of the inventory module's names, as the student's own kernel shows it."""
    return [name for name in vars(orderkit.inventory) if not name.startswith("__")]


def _line() -> int:
    """The line a refused decrement raises from, as the student's own kernel shows it."""
    try:
        InventoryService({"tea": 1}).decrement_stock("tea", 5)
    except ValueError as error:
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        assert tb is not None
        return tb.tb_lineno
    raise AssertionError("a short decrement was not refused")


def _cells(cells: list[str]) -> list[str]:
    known = {"{PINNED!r}": repr(_pinned()), "{ORDER!r}": repr(_order()), "{LINE!r}": repr(_line())}
    found = []
    for cell in cells:
        for marker, value in known.items():
            cell = cell.replace(marker, value)
        found.append(cell)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("forgers")
    paths = [write(folder, name, notebook(_cells(cells))) for name, cells in forgers.CHEATS.items()]
    paths.append(write(folder, "hog", notebook(forgers.HOG)))
    paths.append(write(folder, "honest", notebook(styles.FUNCTIONS)))
    rows, results, done = grade_class(paths, folder / "grades")
    alone_folder = tmp_path_factory.mktemp("alone")
    alone = [write(alone_folder, "honest", notebook(styles.FUNCTIONS))]
    alone_rows, _, alone_done = grade_class(alone, alone_folder / "grades")
    return {
        "rows": rows,
        "results": results,
        "done": done,
        "alone": alone_rows["honest"],
        "alone_done": alone_done,
    }


def test_the_batch_ends_normally_with_a_row_for_every_submission(graded: dict[str, Any]) -> None:
    done = graded["done"]
    assert "Traceback" not in done.stderr, done.stderr
    assert set(graded["rows"]) == {*forgers.CHEATS, "hog", "honest"}


@pytest.mark.parametrize("cheat", sorted(forgers.CHEATS))
def test_a_cheat_catches_nothing(graded: dict[str, Any], cheat: str) -> None:
    row = graded["rows"][cheat]

    assert row["caught"] in ("", "0"), (row, graded["results"].get(cheat))
    assert row["score"] in ("", "0.0"), row


def test_tests_that_look_at_the_kit_are_reported_as_such(graded: dict[str, Any]) -> None:
    for cheat in ("frames", "gc-objects", "pinned-bytecode", "dis-names", "trace-hook"):
        saved = graded["results"][cheat]
        statuses = {v["status"] for v in saved["result"]["verdicts"]}
        said = "looks at the kit's code" in saved["notes"]  # a cell of it did: no test ran
        assert said or statuses & {"inspects", "fails"}, (cheat, statuses, saved["notes"])


def test_a_malformed_result_costs_only_its_own_row(graded: dict[str, Any]) -> None:
    row = graded["rows"]["malformed-result"]

    assert row["status"] == "could not be graded"
    assert "could not read a run's result" in row["notes"]


def test_an_honest_neighbour_gets_the_same_row_as_alone(graded: dict[str, Any]) -> None:
    among = graded["rows"]["honest"]
    alone = graded["alone"]
    fields = ("status", "score", "caught", "total", "tests", "valid_tests", "not_valid")

    assert {f: among[f] for f in fields} == {f: alone[f] for f in fields}
    assert among["score"] == "100.0"


def test_the_hog_is_limited_and_says_so(graded: dict[str, Any]) -> None:
    row = graded["rows"]["hog"]

    assert row["score"] in ("", "0.0")
    if limits.available():  # a process bound where control groups can be made
        assert "processes" in row["limits"], row


def test_nothing_is_left_in_tmp(graded: dict[str, Any]) -> None:
    assert not Path("/tmp/orderkit-cheat-runs").exists()
