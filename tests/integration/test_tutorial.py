"""The tutorial's integration scenario: the two real services together.

Order 2 of item 1 (stock becomes 8); order 6 of item 2 (fails, stock stays 5). Written
once in the tutorial's unittest.TestCase style and once in pytest style over both stores.
"""

from __future__ import annotations

import unittest

import pytest

from orderkit import InventoryService, OrderService


class TestOrderIntegrationTutorialStyle(unittest.TestCase):
    def setUp(self) -> None:
        self.inventory_service = InventoryService()
        self.order_service = OrderService(self.inventory_service)

    def test_order_creation_and_stock_update(self) -> None:
        order = self.order_service.create_order(1, 2)

        self.assertEqual(order["item_id"], 1)
        self.assertEqual(order["quantity"], 2)
        self.assertEqual(self.inventory_service.check_stock(1), 8)

    def test_order_creation_with_insufficient_stock(self) -> None:
        with self.assertRaises(ValueError) as context:
            self.order_service.create_order(2, 6)

        self.assertIn("Insufficient stock", str(context.exception))
        self.assertEqual(self.inventory_service.check_stock(2), 5)


def test_order_takes_its_stock(inventory: InventoryService, orders: OrderService) -> None:
    order = orders.create_order(1, 2)

    assert order == {"order_id": 1, "item_id": 1, "quantity": 2}
    assert inventory.check_stock(1) == 8
    assert orders.list_orders() == [order]


def test_order_beyond_stock_fails_and_changes_nothing(
    inventory: InventoryService, orders: OrderService
) -> None:
    with pytest.raises(ValueError, match="Insufficient stock"):
        orders.create_order(2, 6)

    assert inventory.check_stock(2) == 5
    assert orders.list_orders() == []


def test_ordering_exactly_what_is_left_succeeds(
    inventory: InventoryService, orders: OrderService
) -> None:
    orders.create_order(2, 5)

    assert inventory.check_stock(2) == 0


def test_an_item_never_stocked_cannot_be_ordered(
    inventory: InventoryService, orders: OrderService
) -> None:
    with pytest.raises(ValueError, match=r"Insufficient stock.*available 0"):
        orders.create_order("SOFA", 1)

    assert inventory.snapshot() == {1: 10, 2: 5}


def test_order_ids_start_at_one_and_increase(orders: OrderService) -> None:
    ids = [orders.create_order(1, 1)["order_id"] for _ in range(4)]

    assert ids == [1, 2, 3, 4]
