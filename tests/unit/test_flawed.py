"""The teaching examples in orderkit.flawed: right when used serially, wrong as documented."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from unittest.mock import Mock, create_autospec

import pytest

from orderkit import (
    InsufficientStock,
    InvalidQuantity,
    InventoryService,
    OrderService,
    StockStore,
)
from orderkit.concurrency import run_at_once
from orderkit.flawed import NaiveOrderService, order_receipt, reorder_list

# --- NaiveOrderService: right one order at a time -------------------------------------


def test_naive_service_follows_the_tutorial_one_order_at_a_time() -> None:
    inventory = InventoryService()
    naive = NaiveOrderService(inventory)

    order = naive.create_order(1, 2)
    with pytest.raises(InsufficientStock, match="Insufficient stock"):
        naive.create_order(2, 6)

    assert order == {"order_id": 1, "item_id": 1, "quantity": 2}
    assert inventory.snapshot() == {1: 8, 2: 5}
    assert naive.list_orders() == [order]


def test_naive_service_refuses_bad_input_and_never_pauses_for_it() -> None:
    pause = Mock()
    inventory = InventoryService()
    naive = NaiveOrderService(inventory, pause=pause)

    with pytest.raises(InvalidQuantity):
        naive.create_order(1, 0)
    with pytest.raises(InsufficientStock, match="available 0"):
        naive.create_order("SOFA", 1)

    pause.assert_not_called()
    assert inventory.snapshot() == {1: 10, 2: 5}
    assert naive.list_orders() == []


def test_naive_service_pauses_after_the_check_and_before_the_write() -> None:
    inventory = InventoryService()
    seen_during_pause: list[int] = []
    naive = NaiveOrderService(
        inventory, pause=lambda: seen_during_pause.append(inventory.check_stock(1))
    )

    naive.create_order(1, 2)

    assert seen_during_pause == [10]
    assert inventory.check_stock(1) == 8


def test_naive_service_ids_stay_unique_under_threads() -> None:
    naive = NaiveOrderService(InventoryService({"LAMP": 100}))

    run_at_once(*[lambda: naive.create_order("LAMP", 1) for _ in range(8)])

    assert sorted(order["order_id"] for order in naive.list_orders()) == list(range(1, 9))


# --- NaiveOrderService: the race, forced -------------------------------------------------


def test_naive_service_oversells_when_two_orders_interleave(store: StockStore) -> None:
    inventory = InventoryService(store=store)
    naive = NaiveOrderService(inventory, pause=threading.Barrier(2, timeout=5).wait)

    outcomes = run_at_once(lambda: naive.create_order(2, 3), lambda: naive.create_order(2, 3))

    assert all(isinstance(outcome, dict) for outcome in outcomes)
    sold = sum(order["quantity"] for order in naive.list_orders())
    assert (sold, inventory.check_stock(2)) == (6, 2)  # 6 sold of 5; one write was lost


def test_the_real_service_refuses_one_of_the_same_two_orders(store: StockStore) -> None:
    inventory = InventoryService(store=store)
    orders = OrderService(inventory)

    outcomes = run_at_once(lambda: orders.create_order(2, 3), lambda: orders.create_order(2, 3))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["InsufficientStock", "dict"]
    sold = sum(order["quantity"] for order in orders.list_orders())
    assert (sold, inventory.check_stock(2)) == (3, 2)


# --- order_receipt ---------------------------------------------------------------------


def test_order_receipt_is_right_against_the_contract_it_assumes() -> None:
    orders = Mock()
    orders.create_order.return_value = SimpleNamespace(id=1, item_id=1, quantity=2)

    assert order_receipt(orders, 1, 2) == "Order #1: 2 x item 1"
    orders.create_order.assert_called_once_with(1, 2)


def test_an_autospec_mock_does_not_catch_the_mismatch() -> None:
    orders = create_autospec(OrderService, instance=True)
    orders.create_order.return_value = SimpleNamespace(id=1, item_id=1, quantity=2)

    assert order_receipt(orders, 1, 2) == "Order #1: 2 x item 1"


def test_order_receipt_fails_against_the_real_service_after_placing_the_order() -> None:
    inventory = InventoryService()
    orders = OrderService(inventory)

    with pytest.raises(AttributeError, match="'dict' object has no attribute 'id'"):
        order_receipt(orders, 1, 2)  # type: ignore[arg-type]  # the mismatch is the point

    assert inventory.check_stock(1) == 8
    assert len(orders.list_orders()) == 1


# --- reorder_list ----------------------------------------------------------------------


def test_reorder_list_is_right_against_the_contract_it_assumes() -> None:
    inventory = Mock()
    inventory.check_stock.side_effect = {1: 10, 2: 0, "SOFA": None}.get

    assert reorder_list(inventory, [1, 2, "SOFA"]) == [2]


def test_reorder_list_is_right_with_the_real_inventory_for_stocked_items() -> None:
    inventory = InventoryService()
    inventory.set_stock(2, 0)

    assert reorder_list(inventory, [1, 2]) == [2]


def test_reorder_list_lists_an_item_never_stocked_with_the_real_inventory() -> None:
    inventory = InventoryService()
    inventory.set_stock(2, 0)

    assert reorder_list(inventory, [1, 2, "SOFA"]) == [2, "SOFA"]
