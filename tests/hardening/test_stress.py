"""Many orders at once against too little stock: exactly the stock is sold, never more.

Threads share one store; processes (spawn) share one SQLite file. Every worker records
what each call did, so the test sees any error that is not the expected
``InsufficientStock`` instead of a worker dying quietly.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orderkit import (
    InsufficientStock,
    InventoryService,
    OrderService,
    SqliteStore,
    StockStore,
    StoreBusy,
)

ITEM = "LAMP"
THREADS, ORDERS_PER_THREAD, THREAD_STOCK = 8, 1000, 6000  # 8000 asked for 6000
PROCESSES, ORDERS_PER_PROCESS, PROCESS_STOCK = 4, 500, 1500  # 2000 asked for 1500
MAX_BUSY_RETRIES = 1_000_000  # per process; a bound so that a livelock fails, not hangs


@dataclass
class Tally:
    """What one worker's calls did."""

    order_ids: list[int] = field(default_factory=list)
    refused: int = 0
    busy: int = 0
    errors: list[str] = field(default_factory=list)  # anything unexpected, as text


def _order_many(orders: OrderService, count: int, *, retry_busy: bool = False) -> Tally:
    """Place ``count`` orders of one unit; with ``retry_busy``, try again after StoreBusy."""
    tally = Tally()
    for _ in range(count):
        while True:
            try:
                order = orders.create_order(ITEM, 1)
            except InsufficientStock as exc:
                tally.refused += 1
                if (exc.item_id, exc.requested, exc.available) != (ITEM, 1, 0):
                    tally.errors.append(f"wrong InsufficientStock: {exc}")
            except StoreBusy as exc:
                tally.busy += 1
                if not retry_busy or tally.busy > MAX_BUSY_RETRIES:
                    tally.errors.append(f"StoreBusy: {exc}")
                    break
                continue
            except Exception as exc:  # any other error is a failure, reported by the parent
                tally.errors.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
            else:
                tally.order_ids.append(order["order_id"])
            break
    return tally


def _check_sale(tallies: list[Tally], store: StockStore, initial: int, attempts: int) -> int:
    """Assert nothing was oversold or lost; return how many orders succeeded."""
    errors = [error for tally in tallies for error in tally.errors]
    sold_ids = [order_id for tally in tallies for order_id in tally.order_ids]
    recorded = store.list_orders()
    left = InventoryService(store=store).check_stock(ITEM)

    assert errors == []
    assert sorted(sold_ids) == [order["order_id"] for order in recorded]
    assert sorted(sold_ids) == list(range(1, len(sold_ids) + 1))
    assert left >= 0
    assert sum(order["quantity"] for order in recorded) == initial - left
    assert sum(t.refused for t in tallies) + len(sold_ids) == attempts
    return len(sold_ids)


@pytest.fixture
def fast_thread_switching() -> Iterator[None]:
    """Switch threads every microsecond, so their calls interleave far more often."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.slow
@pytest.mark.usefixtures("fast_thread_switching")
def test_eight_threads_sell_exactly_the_stock_and_no_more(store: StockStore) -> None:
    orders = OrderService(InventoryService({ITEM: THREAD_STOCK}, store=store))
    start = threading.Barrier(THREADS)
    tallies: list[Tally] = []

    def worker() -> None:
        start.wait()
        tallies.append(_order_many(orders, ORDERS_PER_THREAD))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(tallies) == THREADS, "a worker thread died"
    sold = _check_sale(tallies, store, THREAD_STOCK, THREADS * ORDERS_PER_THREAD)
    assert sold == THREAD_STOCK
    assert store.get_stock(ITEM) == 0


def _order_in_own_process(
    path: str, timeout: float, open_lock: Any, start: Any, results: Any
) -> None:
    """Run in a spawned process: open the shared file, wait for the others, order."""
    try:
        # Opening (and seeding, a write) one at a time keeps this test about orders; see
        # test_package_bugs.py for what opening a busy file does.
        with open_lock:
            store = SqliteStore(path, timeout=timeout)
            orders = OrderService(InventoryService(store=store))
        with store:
            start.wait()
            tally = _order_many(orders, ORDERS_PER_PROCESS, retry_busy=timeout == 0)
    except BaseException as exc:
        tally = Tally(errors=[f"worker died: {type(exc).__name__}: {exc}"])
    results.put(tally)


def _run_processes(db_path: Path, timeout: float) -> list[Tally]:
    with SqliteStore(db_path) as store:
        InventoryService({ITEM: PROCESS_STOCK}, store=store)
    spawn = multiprocessing.get_context("spawn")  # fork is unsafe once threads exist
    open_lock, start, results = spawn.Lock(), spawn.Barrier(PROCESSES), spawn.Queue()
    workers = [
        spawn.Process(
            target=_order_in_own_process, args=(str(db_path), timeout, open_lock, start, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    tallies = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    return tallies


@pytest.mark.slow
def test_four_processes_sell_exactly_the_stock_of_one_file(db_path: Path) -> None:
    tallies = _run_processes(db_path, timeout=30.0)

    with SqliteStore(db_path) as store:
        sold = _check_sale(tallies, store, PROCESS_STOCK, PROCESSES * ORDERS_PER_PROCESS)
        assert store.get_stock(ITEM) == 0
    assert sold == PROCESS_STOCK
    assert sum(tally.busy for tally in tallies) == 0


@pytest.mark.slow
def test_a_busy_file_surfaces_only_as_store_busy_that_took_nothing(db_path: Path) -> None:
    # timeout=0: a writer that finds the file locked gives up at once, so the processes
    # collide all the time. Each collision must be a StoreBusy that took nothing: retried
    # until every order is decided, the sale still comes out exact.
    tallies = _run_processes(db_path, timeout=0)

    with SqliteStore(db_path) as store:
        sold = _check_sale(tallies, store, PROCESS_STOCK, PROCESSES * ORDERS_PER_PROCESS)
    assert sold == PROCESS_STOCK
    assert sum(tally.busy for tally in tallies) > 0, "no collision: the test proved nothing"
