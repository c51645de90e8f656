"""An order listener hears each new order until it unsubscribes, and only then stops."""

from __future__ import annotations

from orderkit import Order, OrderService


def test_an_order_listener_stops_hearing_after_it_unsubscribes(orders: OrderService) -> None:
    heard: list[Order] = []
    unsubscribe = orders.subscribe(heard.append)

    orders.create_order(1, 2)
    unsubscribe()
    orders.create_order(1, 3)

    assert heard == [{"order_id": 1, "item_id": 1, "quantity": 2}]
    assert len(orders.list_orders()) == 2
