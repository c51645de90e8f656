"""SQLite failures keep their kind: a lock is StoreBusy, anything else a plain StoreError.

A caller retries on ``StoreBusy`` ("try again"), so a broken database reported as busy
would be retried for ever.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from orderkit import InventoryService, OrderService, SqliteStore, StoreBusy, StoreError


def test_a_store_waits_thirty_seconds_for_a_lock_by_default(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.close()

    assert store.timeout == 30.0


@pytest.mark.parametrize(
    "call",
    [
        lambda inventory: inventory.check_stock(1),  # a read
        lambda inventory: inventory.set_stock(1, 3),  # a write
        lambda inventory: OrderService(inventory).create_order(1, 1),  # a transaction
    ],
    ids=["read", "write", "order"],
)
def test_a_failure_that_is_not_a_lock_is_a_store_error_not_store_busy(
    db_path: Path, call: Callable[[InventoryService], object]
) -> None:
    store = SqliteStore(db_path)
    inventory = InventoryService(store=store)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("DROP TABLE stock")  # as a careless script or a bad migration would

    with pytest.raises(StoreError) as caught:
        call(inventory)
    store.close()

    assert not isinstance(caught.value, StoreBusy)
    assert str(caught.value).startswith(f"Database {str(db_path)!r} failed: ")
    assert "no such table" in str(caught.value)  # SQLite's own words, kept for the reader
