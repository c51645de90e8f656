"""Cancelling an order, unit by unit: the order id check, the errors, OrderService alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import create_autospec

import pytest

from orderkit import (
    MAX_QUANTITY,
    InvalidItemId,
    InvalidOrderId,
    InventoryService,
    MemoryStore,
    OrderAlreadyCancelled,
    OrderService,
    SqliteStore,
    StockStore,
    UnknownOrder,
)
from orderkit.domain import check_item_id, check_order_id


@pytest.mark.parametrize("order_id", [1, 7, MAX_QUANTITY])
def test_an_int_from_one_up_is_an_order_id(order_id: int) -> None:
    assert check_order_id(order_id) == order_id


@pytest.mark.parametrize("order_id", [0, -1, MAX_QUANTITY + 1, True, 1.0, "1", None])
def test_anything_else_is_refused_with_its_value_in_the_message(order_id: Any) -> None:
    with pytest.raises(InvalidOrderId, match="Invalid order id") as raised:
        check_order_id(order_id)

    assert raised.value.order_id is order_id
    assert repr(order_id) in str(raised.value)


@pytest.mark.parametrize(
    ("order_id", "reason"),
    [
        ("1", "must be an int, not str"),
        (None, "must be an int, not NoneType"),
        (0, "must be from 1 to"),
    ],
)
def test_a_refused_order_id_says_why(order_id: Any, reason: str) -> None:
    with pytest.raises(InvalidOrderId) as raised:
        check_order_id(order_id)

    assert f"Invalid order id {order_id!r}: {reason}" in str(raised.value)


def test_an_item_id_that_is_not_valid_unicode_is_refused_with_its_value() -> None:
    lone_surrogate = "LAMP\ud800"

    with pytest.raises(InvalidItemId, match="must be valid Unicode text") as raised:
        check_item_id(lone_surrogate)

    assert raised.value.item_id == lone_surrogate


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[StockStore]:
    made: StockStore = MemoryStore() if request.param == "memory" else SqliteStore(":memory:")
    made.set_stock(2, 5)
    yield made
    made.close()


def test_each_store_names_the_order_it_cannot_cancel(store: StockStore) -> None:
    order = store.place_order(2, 3)
    store.cancel_order(order["order_id"])

    with pytest.raises(UnknownOrder) as unknown:
        store.cancel_order(order["order_id"] + 1)
    with pytest.raises(OrderAlreadyCancelled) as again:
        store.cancel_order(order["order_id"])

    assert (unknown.value.order_id, again.value.order_id) == (
        order["order_id"] + 1,
        order["order_id"],
    )
    assert store.get_stock(2) == 5


def test_the_cancel_errors_carry_the_order_id_and_open_with_their_name() -> None:
    unknown, cancelled = UnknownOrder(7), OrderAlreadyCancelled(3)

    assert (unknown.order_id, cancelled.order_id) == (7, 3)
    assert str(unknown).startswith("Unknown order 7")
    assert str(cancelled).startswith("Order already cancelled")
    assert "3" in str(cancelled)


def _mock_inventory() -> Any:
    inventory = create_autospec(InventoryService, instance=True)
    inventory.cancel_order.side_effect = lambda order_id: {
        "order_id": order_id,
        "item_id": 2,
        "quantity": 3,
    }
    return inventory


def test_cancel_order_asks_the_inventory_once_and_returns_its_order() -> None:
    inventory = _mock_inventory()

    order = OrderService(inventory).cancel_order(4)

    assert order == {"order_id": 4, "item_id": 2, "quantity": 3}
    inventory.cancel_order.assert_called_once_with(4)


def test_cancel_order_lets_the_inventory_refusal_through() -> None:
    inventory = _mock_inventory()
    inventory.cancel_order.side_effect = OrderAlreadyCancelled(4)

    with pytest.raises(OrderAlreadyCancelled):
        OrderService(inventory).cancel_order(4)


@pytest.mark.parametrize("order_id", [0, -3, "1", 1.0, None, True])
def test_a_bad_order_id_never_reaches_the_inventory(order_id: Any) -> None:
    inventory = _mock_inventory()

    with pytest.raises(InvalidOrderId):
        OrderService(inventory).cancel_order(order_id)

    inventory.cancel_order.assert_not_called()
