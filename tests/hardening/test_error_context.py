"""Every error says exactly what went wrong and carries the values a caller needs.

Learners read these messages and tests ``match=`` them, so the exact text is part of the
contract. (Written to kill mutants that changed a message or dropped an attribute.)
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderkit import (
    MAX_QUANTITY,
    InsufficientStock,
    InvalidItemId,
    InvalidQuantity,
    InventoryService,
    MemoryStore,
    OrderService,
    SqliteStore,
    StockStore,
    StoreBusy,
    StoreClosed,
)
from orderkit.classroom.bugs.errors import UnknownExercise
from orderkit.domain import check_item_id, check_quantity


@pytest.mark.parametrize(
    ("item_id", "message"),
    [
        (1.0, "Invalid item id 1.0: must be an int or a str, not float"),
        (None, "Invalid item id None: must be an int or a str, not NoneType"),
        ("", "Invalid item id '': must not be empty"),
        ("  ", "Invalid item id '  ': must not be empty"),
        (2**63, f"Invalid item id {2**63}: must fit in 64 bits"),
        (-(2**63) - 1, f"Invalid item id {-(2**63) - 1}: must fit in 64 bits"),
    ],
    ids=["float", "None", "empty", "blank", "too-big", "too-small"],
)
def test_a_bad_item_id_gets_the_exact_reason(item_id: object, message: str) -> None:
    with pytest.raises(InvalidItemId) as caught:
        check_item_id(item_id)

    assert str(caught.value) == message
    assert caught.value.item_id is item_id


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (2.5, "Invalid quantity 2.5: must be an int, not float"),
        ("2", "Invalid quantity '2': must be an int, not str"),
        (True, "Invalid quantity True: must be an int, not bool"),
        (0, "Invalid quantity 0: must be 1 or more"),
        (MAX_QUANTITY + 1, f"Invalid quantity {MAX_QUANTITY + 1}: must be at most {MAX_QUANTITY}"),
    ],
    ids=["float", "str", "bool", "zero", "too-big"],
)
def test_a_bad_quantity_gets_the_exact_reason(quantity: object, message: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        check_quantity(quantity)

    assert str(caught.value) == message


def test_an_opening_stock_that_is_not_a_mapping_is_named_in_the_error() -> None:
    opening = [(1, 10)]

    with pytest.raises(InvalidItemId) as caught:
        InventoryService(opening)  # type: ignore[arg-type]

    assert caught.value.item_id is opening
    assert str(caught.value) == (
        "Invalid item id [(1, 10)]: opening stock must be a mapping of item id to quantity"
    )


def test_restocking_past_the_maximum_names_the_quantity_added(inventory: InventoryService) -> None:
    inventory.set_stock("LAMP", MAX_QUANTITY - 1)

    with pytest.raises(InvalidQuantity, match="stock would pass") as caught:
        inventory.restock("LAMP", 2)

    assert caught.value.quantity == 2
    assert str(caught.value) == f"Invalid quantity 2: stock would pass {MAX_QUANTITY}"
    assert inventory.check_stock("LAMP") == MAX_QUANTITY - 1


def test_taking_too_much_names_the_item(inventory: InventoryService) -> None:
    with pytest.raises(InsufficientStock) as caught:
        inventory.decrement_stock(2, 6)

    assert (caught.value.item_id, caught.value.requested, caught.value.available) == (2, 6, 5)


def test_a_closed_memory_store_says_so() -> None:
    store = MemoryStore()
    store.close()

    with pytest.raises(StoreClosed) as caught:
        store.get_stock(1)

    assert str(caught.value) == "MemoryStore is closed"


def test_a_closed_sqlite_store_names_its_file(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.close()

    with pytest.raises(StoreClosed) as caught:
        store.snapshot()

    assert str(caught.value) == f"SqliteStore({str(db_path)!r}) is closed"


def test_store_busy_names_the_file_and_how_long_it_waited(db_path: Path) -> None:
    store: StockStore = SqliteStore(db_path, timeout=0.05)
    orders = OrderService(InventoryService(store=store))

    with closing(sqlite3.connect(db_path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy) as caught:
            orders.create_order(1, 1)
        holder.execute("ROLLBACK")
    store.close()

    assert (caught.value.path, caught.value.waited) == (str(db_path), 0.05)
    assert str(caught.value) == f"Database {str(db_path)!r} stayed locked for 0.05 s; try again"


def test_an_unknown_exercise_lists_the_known_ones() -> None:
    error = UnknownExercise("ex9", ["ex1", "ex2"])

    assert error.exercise_id == "ex9"
    assert str(error) == "Unknown exercise 'ex9'; known: ex1, ex2"
    assert isinstance(error, LookupError)
