"""Tests that look at anything but behaviour catch nothing, in check() and in grading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.classroom.notebooks import check_in_kernel, grade_class, notebook, verdict_of, write

pytestmark = pytest.mark.slow

CHEATS = [
    """
import hashlib, inspect, os, time, gc, sys
import pytest
import orderkit
import orderkit.inventory
from orderkit import InventoryService, OrderService
from orderkit.classroom import check

SOURCE = hashlib.sha256(inspect.getsource(InventoryService.check_stock).encode()).hexdigest()
FILE = hashlib.sha256(open(orderkit.inventory.__file__, "rb").read()).hexdigest()
CODE_LINE = OrderService.create_order.__code__.co_firstlineno
STARTED = time.monotonic()
PID = os.getppid()
RUNS = []
COUNTER = "/tmp/orderkit-cheat-counter"
if os.path.exists(COUNTER):
    os.remove(COUNTER)
""",
    """
def test_names():
    assert InventoryService.__name__ == "InventoryService"
    assert InventoryService.__qualname__ == "InventoryService"
    assert InventoryService.__module__ == "orderkit.inventory"
    assert OrderService.create_order.__qualname__ == "OrderService.create_order"

def test_identities():
    assert InventoryService is orderkit.InventoryService is orderkit.inventory.InventoryService
    assert type(InventoryService()) is orderkit.InventoryService
    assert InventoryService.check_stock is orderkit.inventory.InventoryService.check_stock

def test_mro():
    assert [c.__name__ for c in InventoryService.__mro__] == ["InventoryService", "object"]
    assert [c.__name__ for c in type(InventoryService().store).__mro__][:2] == ["MemoryStore", "StockStore"]

def test_source_files():
    assert inspect.getsourcefile(InventoryService).endswith("orderkit/inventory.py")
    assert hashlib.sha256(inspect.getsource(InventoryService.check_stock).encode()).hexdigest() == SOURCE
    assert hashlib.sha256(open(orderkit.inventory.__file__, "rb").read()).hexdigest() == FILE
    assert OrderService.create_order.__code__.co_firstlineno == CODE_LINE

def test_counts_its_runs_in_memory():
    RUNS.append(1)
    assert len(RUNS) == 1

def test_counts_its_runs_in_a_file():
    with open(COUNTER, "a") as handle:
        handle.write("x")
    assert open(COUNTER).read() == "x"

def test_runs_soon_after_the_cells():
    assert time.monotonic() - STARTED < 0.3

def test_the_grader_is_the_same():
    assert os.getppid() != 0

def test_fresh_import_and_reload_names():
    import importlib
    module = importlib.import_module("orderkit.inventory")
    assert module.InventoryService.__name__ == "InventoryService"
    assert sys.modules["orderkit"].InventoryService is InventoryService
""",
]

LEFTOVERS = [
    """
import os
import pytest
from orderkit import InventoryService, OrderService, SqliteStore
from orderkit.classroom import check

SHOP = "/tmp/orderkit-fixed-shop.db"
for leftover in (SHOP, SHOP + "-wal", SHOP + "-shm"):
    if os.path.exists(leftover):
        os.remove(leftover)
""",
    """
def test_an_order_on_a_database_at_a_fixed_path():
    with SqliteStore(SHOP) as store:
        inventory = InventoryService({1: 10, 2: 5}, store=store)
        OrderService(inventory).create_order(1, 2)
        assert inventory.check_stock(1) == 8
""",
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("class")
    paths = [
        write(folder, "cheats", notebook(CHEATS)),
        write(folder, "leftovers", notebook(LEFTOVERS)),
    ]
    rows, results, done = grade_class(paths, folder / "grades")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows["cheats"]["score"] == "0.0"
    verdicts = {name: verdict_of(results[name]) for name in ("cheats", "leftovers")}
    return {**verdicts, "notes": {name: row["notes"] for name, row in rows.items()}}


def test_tests_of_names_identities_sources_and_run_order_catch_nothing_when_graded(
    graded: dict[str, dict[str, Any]],
) -> None:
    """Its first cell reads the kit's source and files: the batch stops it there."""
    assert graded["cheats"]["caught"] == []
    assert "looks at the kit's code" in graded["notes"]["cheats"]


@pytest.mark.parametrize("no_fork", [False, True], ids=["forked", "in-process"])
def test_they_catch_nothing_in_check_either(tmp_path: Path, no_fork: bool) -> None:
    env = {**os.environ, "ORDERKIT_NO_FORK": "1" if no_fork else "0"}

    verdict = check_in_kernel(notebook(CHEATS), tmp_path, env=env)

    assert verdict["error"] == ""
    assert verdict["caught"] == []
    assert len(verdict["tests"]) == 9


def test_a_test_that_relies_on_a_file_left_by_an_earlier_run_is_flaky_in_check(
    tmp_path: Path,
) -> None:
    in_kernel = check_in_kernel(notebook(LEFTOVERS), tmp_path)

    assert in_kernel["caught"] == []
    assert in_kernel["invalid"] == ["test_an_order_on_a_database_at_a_fixed_path"]


def test_a_fixed_path_in_tmp_is_fresh_in_every_batch_run(
    graded: dict[str, dict[str, Any]],
) -> None:
    """Each batch run has a /tmp of its own and runs the cells again: nothing is left."""
    assert graded["leftovers"]["invalid"] == []
    assert graded["leftovers"]["valid"] == ["test_an_order_on_a_database_at_a_fixed_path"]
