"""Regression tests for bugs the hardening tests found in the package (both fixed).

* Opening a file another process held locked past the timeout raised a plain StoreError
  instead of the documented StoreBusy.
* A str with a lone surrogate passed as an item id: SQLite then raised UnicodeEncodeError
  (not an OrderkitError) while MemoryStore stored it, so the stores disagreed.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderkit import (
    InvalidItemId,
    InventoryService,
    OrderService,
    SqliteStore,
    StockStore,
    StoreBusy,
)


def test_opening_a_file_locked_past_the_timeout_raises_store_busy(db_path: Path) -> None:
    SqliteStore(db_path).close()
    with closing(sqlite3.connect(db_path, isolation_level=None)) as holder:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # keep every other connection out
        holder.execute("BEGIN EXCLUSIVE")

        with pytest.raises(StoreBusy, match="stayed locked"):
            SqliteStore(db_path, timeout=0.05)

        holder.execute("ROLLBACK")


LONE_SURROGATE = "\ud800"  # a str Python allows, but not valid Unicode text: no UTF-8 for it


def test_an_item_id_that_is_not_valid_unicode_is_refused_on_every_store(
    store: StockStore,
) -> None:
    inventory = InventoryService(store=store)
    orders = OrderService(inventory)

    for call in (
        lambda: inventory.set_stock(LONE_SURROGATE, 1),
        lambda: inventory.check_stock(LONE_SURROGATE),
        lambda: orders.create_order(LONE_SURROGATE, 1),
    ):
        with pytest.raises(InvalidItemId, match="Invalid item id"):
            call()

    assert inventory.snapshot() == {1: 10, 2: 5}
