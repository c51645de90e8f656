"""What only a real SQLite file shows: persistence, sharing, transactions, bad files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderkit import (
    InsufficientStock,
    InventoryService,
    OrderService,
    SqliteStore,
    StoreBusy,
    StoreError,
)


def test_stock_and_orders_survive_a_reopen(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        OrderService(InventoryService(store=store)).create_order(1, 2)

    with SqliteStore(db_path) as reopened:
        inventory = InventoryService(store=reopened)
        assert inventory.snapshot() == {1: 8, 2: 5}
        assert OrderService(inventory).list_orders() == [
            {"order_id": 1, "item_id": 1, "quantity": 2}
        ]


def test_reopening_never_resets_to_the_opening_stock(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        InventoryService(store=store).set_stock(1, 0)

    with SqliteStore(db_path) as reopened:
        assert InventoryService({1: 10}, store=reopened).check_stock(1) == 0


def test_order_ids_continue_after_a_reopen(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        OrderService(InventoryService(store=store)).create_order(1, 1)

    with SqliteStore(db_path) as reopened:
        order = OrderService(InventoryService(store=reopened)).create_order(1, 1)

    assert order["order_id"] == 2


def test_a_second_connection_sees_each_commit_at_once(db_path: Path) -> None:
    with SqliteStore(db_path) as writer, SqliteStore(db_path) as reader:
        OrderService(InventoryService(store=writer)).create_order(2, 5)

        assert reader.get_stock(2) == 0
        assert len(reader.list_orders()) == 1


def test_the_database_is_in_wal_mode(db_path: Path) -> None:
    SqliteStore(db_path).close()

    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_memory_database_works_but_keeps_nothing(tmp_path: Path) -> None:
    with SqliteStore(":memory:") as store:
        OrderService(InventoryService(store=store)).create_order(1, 2)
        assert store.get_stock(1) == 8

    assert list(tmp_path.iterdir()) == []


def test_an_order_whose_record_fails_takes_no_stock(db_path: Path) -> None:
    store = SqliteStore(db_path)
    inventory = InventoryService(store=store)
    # Make the order INSERT fail after the stock UPDATE ran, as a full disk would.
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON orders "
            "BEGIN SELECT RAISE(ABORT, 'disk full, say'); END"
        )

    with pytest.raises(StoreError, match="disk full"):
        OrderService(inventory).create_order(1, 2)

    assert inventory.check_stock(1) == 10
    assert store.list_orders() == []
    store.close()


def test_a_writer_held_up_past_the_timeout_gets_store_busy(db_path: Path) -> None:
    store = SqliteStore(db_path, timeout=0.05)
    InventoryService(store=store)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy, match="locked"):
            store.set_stock(1, 3)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert store.get_stock(1) == 10
    store.close()


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("this is not a database\n" * 100)

    with pytest.raises(StoreError, match=r"notes\.db"):
        SqliteStore(junk)


def test_a_missing_folder_gives_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Cannot open"):
        SqliteStore(tmp_path / "no" / "such" / "shop.db")


def test_refused_order_leaves_the_file_unchanged(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        orders = OrderService(InventoryService(store=store))
        with pytest.raises(InsufficientStock):
            orders.create_order(2, 6)

    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
        assert conn.execute("SELECT quantity FROM stock WHERE item_id = 2").fetchone()[0] == 5


@pytest.mark.parametrize(
    ("platform", "cwd", "path", "error", "explained"),
    [
        ("emscripten", "/drive/notebooks", "shop.db", "disk I/O error", True),
        ("emscripten", "/home/pyodide", "/drive/shop.db", "disk I/O error", True),
        ("emscripten", "/drive/notebooks", "/tmp/pytest-of/shop.db", "disk I/O error", False),
        ("emscripten", "/drive/notebooks", ":memory:", "disk I/O error", False),
        ("emscripten", "/drive/notebooks", "shop.db", "database is full", False),
        ("linux", "/drive/notebooks", "shop.db", "disk I/O error", False),
    ],
)
def test_a_file_in_the_browsers_storage_is_named_as_the_cause(
    platform: str, cwd: str, path: str, error: str, explained: bool
) -> None:
    """JupyterLite's notebook folder (/drive) cannot hold a SQLite file: the error says so."""
    from orderkit.stores.sqlite import in_the_browsers_storage

    failure = sqlite3.OperationalError(error)

    assert in_the_browsers_storage(path, failure, platform=platform, cwd=cwd) is explained
