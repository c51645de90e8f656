"""OrderService alone: its inventory replaced by a mock, as the tutorial's unit test does."""

from __future__ import annotations

import unittest
from typing import Any
from unittest.mock import create_autospec

import pytest

from orderkit import InsufficientStock, InvalidQuantity, InventoryService, OrderService


def _mock_inventory() -> Any:
    inventory = create_autospec(InventoryService, instance=True)
    inventory.take_for_order.side_effect = lambda item_id, quantity: {
        "order_id": 1,
        "item_id": item_id,
        "quantity": quantity,
    }
    return inventory


class TestOrderServiceTutorialStyle(unittest.TestCase):
    """The tutorial's unit test, in its own unittest.TestCase style."""

    def setUp(self) -> None:
        self.inventory = _mock_inventory()
        self.order_service = OrderService(self.inventory)

    def test_create_order_takes_stock_through_the_inventory(self) -> None:
        order = self.order_service.create_order(1, 2)

        self.assertEqual(order, {"order_id": 1, "item_id": 1, "quantity": 2})
        self.inventory.take_for_order.assert_called_once_with(1, 2)

    def test_create_order_passes_on_insufficient_stock(self) -> None:
        self.inventory.take_for_order.side_effect = InsufficientStock(2, 6, 5)

        with self.assertRaisesRegex(ValueError, "Insufficient stock"):
            self.order_service.create_order(2, 6)


def test_create_order_returns_the_tutorials_shape() -> None:
    order_service = OrderService(_mock_inventory())

    order = order_service.create_order(1, 2)

    assert set(order) == {"order_id", "item_id", "quantity"}


@pytest.mark.parametrize("quantity", [0, -2, 2.0, "2", None, True])
def test_bad_quantity_never_reaches_the_inventory(quantity: object) -> None:
    inventory = _mock_inventory()

    with pytest.raises(InvalidQuantity):
        OrderService(inventory).create_order(1, quantity)  # type: ignore[arg-type]

    inventory.take_for_order.assert_not_called()


def test_order_listeners_hear_new_orders_only() -> None:
    inventory = _mock_inventory()
    order_service = OrderService(inventory)
    heard: list[object] = []
    order_service.subscribe(heard.append)

    order_service.create_order(1, 2)
    inventory.take_for_order.side_effect = InsufficientStock(1, 99, 8)
    with pytest.raises(InsufficientStock):
        order_service.create_order(1, 99)

    assert heard == [{"order_id": 1, "item_id": 1, "quantity": 2}]
