"""Cancelling an order with the real services, on every store: the stock goes back once."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orderkit import (
    MAX_QUANTITY,
    InvalidOrderId,
    InvalidQuantity,
    InventoryService,
    ItemId,
    OrderAlreadyCancelled,
    OrderService,
    SqliteStore,
    StockStore,
    UnknownOrder,
)


def test_cancelling_puts_the_stock_back_and_returns_the_order(
    orders: OrderService, inventory: InventoryService
) -> None:
    order = orders.create_order(2, 3)

    cancelled = orders.cancel_order(order["order_id"])

    assert cancelled == order
    assert inventory.snapshot() == {1: 10, 2: 5}


def test_a_cancelled_order_is_no_longer_listed_and_the_others_are(orders: OrderService) -> None:
    first, second, third = (orders.create_order(1, n) for n in (1, 2, 3))

    orders.cancel_order(second["order_id"])

    assert orders.list_orders() == [first, third]


def test_cancelling_twice_is_refused_and_puts_nothing_back(
    orders: OrderService, inventory: InventoryService
) -> None:
    order = orders.create_order(2, 3)
    orders.cancel_order(order["order_id"])

    with pytest.raises(OrderAlreadyCancelled, match="Order already cancelled"):
        orders.cancel_order(order["order_id"])

    assert inventory.check_stock(2) == 5
    assert orders.list_orders() == []


@pytest.mark.parametrize("order_id", [2, 99])
def test_an_order_id_never_given_out_is_unknown_and_changes_nothing(
    orders: OrderService, inventory: InventoryService, order_id: int
) -> None:
    order = orders.create_order(1, 4)

    with pytest.raises(UnknownOrder, match="Unknown order"):
        orders.cancel_order(order_id)

    assert inventory.snapshot() == {1: 6, 2: 5}
    assert orders.list_orders() == [order]


def test_a_bad_order_id_is_refused_and_changes_nothing(
    orders: OrderService, inventory: InventoryService
) -> None:
    order = orders.create_order(1, 4)

    with pytest.raises(InvalidOrderId):
        orders.cancel_order("1")  # type: ignore[arg-type]

    assert inventory.snapshot() == {1: 6, 2: 5}
    assert orders.list_orders() == [order]


def test_a_cancelled_orders_id_is_never_given_out_again(orders: OrderService) -> None:
    first = orders.create_order(1, 1)
    orders.cancel_order(first["order_id"])

    second = orders.create_order(1, 1)

    assert second["order_id"] > first["order_id"]


def test_stock_that_would_pass_the_maximum_is_refused_and_nothing_changes(
    orders: OrderService, inventory: InventoryService
) -> None:
    order = orders.create_order(2, 5)
    inventory.set_stock(2, MAX_QUANTITY)

    with pytest.raises(InvalidQuantity):
        orders.cancel_order(order["order_id"])

    assert inventory.check_stock(2) == MAX_QUANTITY
    assert orders.list_orders() == [order]


def test_listeners_hear_the_level_the_cancel_left(
    orders: OrderService, inventory: InventoryService
) -> None:
    order = orders.create_order(2, 3)
    heard: list[tuple[ItemId, int]] = []
    inventory.subscribe(lambda item_id, level: heard.append((item_id, level)))

    orders.cancel_order(order["order_id"])

    assert heard == [(2, 5)]


def test_the_store_cancels_or_refuses_by_itself(store: StockStore) -> None:
    store.seed({"LAMP": 4})
    order = store.place_order("LAMP", 3)

    assert store.cancel_order(order["order_id"]) == order
    assert store.get_stock("LAMP") == 4
    with pytest.raises(OrderAlreadyCancelled):
        store.cancel_order(order["order_id"])
    with pytest.raises(UnknownOrder):
        store.cancel_order(order["order_id"] + 1)


def test_a_cancel_survives_a_reopen(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        orders = OrderService(InventoryService(store=store))
        kept, cancelled = orders.create_order(1, 2), orders.create_order(2, 3)
        orders.cancel_order(cancelled["order_id"])

    with SqliteStore(db_path) as reopened:
        orders = OrderService(InventoryService(store=reopened))
        assert orders.list_orders() == [kept]
        assert orders.inventory.snapshot() == {1: 8, 2: 5}
        with pytest.raises(OrderAlreadyCancelled):
            orders.cancel_order(cancelled["order_id"])


def test_a_database_from_before_cancelling_gains_it_and_keeps_its_orders(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.executescript(
            "CREATE TABLE stock (item_id PRIMARY KEY NOT NULL, quantity INTEGER NOT NULL);"
            "CREATE TABLE orders (order_id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " item_id NOT NULL, quantity INTEGER NOT NULL);"
            "INSERT INTO stock VALUES (1, 8); INSERT INTO orders (item_id, quantity) VALUES (1, 2);"
        )

    with SqliteStore(db_path) as store:
        orders = OrderService(InventoryService(store=store))
        assert orders.cancel_order(1) == {"order_id": 1, "item_id": 1, "quantity": 2}
        assert orders.inventory.check_stock(1) == 10
