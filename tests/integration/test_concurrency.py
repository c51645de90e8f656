"""Concurrent orders never oversell: threads on both stores, processes on one SQLite file.

The invariant checked everywhere: sold + left == initial, and stock never goes negative.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from orderkit import InsufficientStock, InventoryService, OrderService, SqliteStore, StockStore

INITIAL = 300
WORKERS = 4
ATTEMPTS = 100  # per worker: 400 attempts for 300 units, so some must be refused


def _order_until_done(orders: OrderService, start: threading.Barrier | None) -> int:
    if start is not None:
        start.wait()
    sold = 0
    for _ in range(ATTEMPTS):
        try:
            orders.create_order("LAMP", 1)
        except InsufficientStock:
            continue
        sold += 1
    return sold


def _assert_no_oversell(inventory: InventoryService, orders: OrderService, sold: int) -> None:
    left = inventory.check_stock("LAMP")
    recorded = sum(order["quantity"] for order in orders.list_orders())
    assert left >= 0
    assert sold == recorded == INITIAL
    assert sold + left == INITIAL


def test_threads_sharing_one_store_never_oversell(store: StockStore) -> None:
    inventory = InventoryService({"LAMP": INITIAL}, store=store)
    orders = OrderService(inventory)
    start = threading.Barrier(WORKERS)

    with ThreadPoolExecutor(WORKERS) as pool:
        sold = sum(pool.map(lambda _: _order_until_done(orders, start), range(WORKERS)))

    _assert_no_oversell(inventory, orders, sold)


def _order_in_own_process(path: str) -> int:
    """Run in a child process: open the shared file and order one lamp at a time."""
    with SqliteStore(path) as store:
        return _order_until_done(OrderService(InventoryService(store=store)), None)


@pytest.mark.slow
def test_processes_sharing_one_sqlite_file_never_oversell(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        InventoryService({"LAMP": INITIAL}, store=store)
    spawn = multiprocessing.get_context("spawn")  # fork is unsafe once threads exist

    with ProcessPoolExecutor(WORKERS, mp_context=spawn) as pool:
        sold = sum(pool.map(_order_in_own_process, [str(db_path)] * WORKERS))

    with SqliteStore(db_path) as store:
        inventory = InventoryService(store=store)
        _assert_no_oversell(inventory, OrderService(inventory), sold)
        ids = [order["order_id"] for order in store.list_orders()]
    assert ids == list(range(1, INITIAL + 1))
