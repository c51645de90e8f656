"""Twenty student-style tests, the workload of the check and grading benchmarks.

Plain test functions as a student writes them in an exercise notebook: unit tests of each
service, a mock, the two services together, a SQLite file reopened, and threads.
"""

TWENTY_TESTS = """
import threading
from unittest.mock import create_autospec

import pytest
from orderkit import (
    InsufficientStock, InvalidQuantity, InventoryService, OrderService, SqliteStore, UnknownItem,
)


def test_tutorial_stock():
    assert InventoryService().snapshot() == {1: 10, 2: 5}

def test_unknown_item_is_zero():
    assert InventoryService().check_stock(99) == 0

def test_decrement_returns_what_is_left():
    assert InventoryService().decrement_stock(1, 3) == 7

def test_exactly_what_is_left():
    inventory = InventoryService()
    inventory.decrement_stock(2, 5)
    assert inventory.check_stock(2) == 0

def test_short_decrement_changes_nothing():
    inventory = InventoryService()
    with pytest.raises(InsufficientStock):
        inventory.decrement_stock(2, 6)
    assert inventory.check_stock(2) == 5

def test_unknown_decrement():
    with pytest.raises(UnknownItem):
        InventoryService().decrement_stock("SOFA", 1)

def test_restock_adds():
    assert InventoryService().restock(2, 3) == 8

def test_set_stock_zero():
    inventory = InventoryService()
    inventory.set_stock(1, 0)
    assert inventory.check_stock(1) == 0

def test_set_stock_negative_refused():
    with pytest.raises(InvalidQuantity):
        InventoryService().set_stock(1, -1)

@pytest.mark.parametrize("quantity", [0, -1])
def test_bad_quantity_refused(quantity):
    with pytest.raises(InvalidQuantity):
        InventoryService().decrement_stock(1, quantity)

def test_order_calls_inventory_once():
    inventory = create_autospec(InventoryService, instance=True)
    inventory.take_for_order.return_value = {"order_id": 1, "item_id": 1, "quantity": 2}
    assert OrderService(inventory).create_order(1, 2) == inventory.take_for_order.return_value
    inventory.take_for_order.assert_called_once_with(1, 2)

def test_order_takes_stock():
    inventory = InventoryService()
    OrderService(inventory).create_order(1, 2)
    assert inventory.check_stock(1) == 8

def test_short_order_raises_value_error():
    with pytest.raises(ValueError, match="Insufficient stock"):
        OrderService(InventoryService()).create_order(2, 6)

def test_short_order_keeps_stock():
    inventory = InventoryService()
    with pytest.raises(InsufficientStock):
        OrderService(inventory).create_order(2, 6)
    assert inventory.check_stock(2) == 5

def test_refused_order_not_listed():
    orders = OrderService(InventoryService())
    with pytest.raises(InsufficientStock):
        orders.create_order(2, 6)
    assert orders.list_orders() == []

def test_two_tills_share_orders():
    inventory = InventoryService()
    first, second = OrderService(inventory), OrderService(inventory)
    first.create_order(1, 1)
    assert len(second.list_orders()) == 1

def test_reopen_keeps_stock(tmp_path):
    with SqliteStore(tmp_path / "shop.db") as store:
        OrderService(InventoryService(store=store)).create_order(1, 2)
    with SqliteStore(tmp_path / "shop.db") as store:
        assert InventoryService(store=store).snapshot() == {1: 8, 2: 5}

def test_sqlite_item_ids_keep_their_type(tmp_path):
    with SqliteStore(tmp_path / "shop.db") as store:
        assert list(InventoryService(store=store).snapshot()) == [1, 2]

def test_threads_never_oversell():
    inventory = InventoryService({"LAMP": 40})
    orders = OrderService(inventory)
    start = threading.Barrier(4)
    def buy():
        start.wait()
        for _ in range(15):
            try:
                orders.create_order("LAMP", 1)
            except InsufficientStock:
                pass
    threads = [threading.Thread(target=buy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sold = sum(order["quantity"] for order in orders.list_orders())
    assert sold + inventory.check_stock("LAMP") == 40
"""
