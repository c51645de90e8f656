"""A thread-safe store in a dict: the default, and the fastest."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from orderkit.domain import MAX_QUANTITY, ItemId, Order
from orderkit.errors import (
    InsufficientStock,
    InvalidQuantity,
    OrderAlreadyCancelled,
    StoreClosed,
    UnknownItem,
    UnknownOrder,
)
from orderkit.stores.base import StockStore


class MemoryStore(StockStore):
    """Stock and orders in process memory, guarded by one lock.

    Every method holds the lock for its whole read-modify-write, which is what makes
    :meth:`take_stock` and :meth:`place_order` atomic across threads.
    """

    def __init__(self, stock: Mapping[ItemId, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._stock: dict[ItemId, int] = dict(stock or {})
        self._orders: list[Order] = []  # every order ever placed, cancelled ones too
        self._cancelled: set[int] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._stock)} items, {len(self._orders)} orders)"

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("MemoryStore")

    def get_stock(self, item_id: ItemId) -> int | None:
        with self._lock:
            self._check_open()
            return self._stock.get(item_id)

    def snapshot(self) -> dict[ItemId, int]:
        with self._lock:
            self._check_open()
            return dict(self._stock)

    def seed(self, stock: Mapping[ItemId, int]) -> bool:
        with self._lock:
            self._check_open()
            if self._stock:
                return False
            self._stock.update(stock)
            return True

    def set_stock(self, item_id: ItemId, quantity: int) -> None:
        with self._lock:
            self._check_open()
            self._stock[item_id] = quantity

    def add_stock(self, item_id: ItemId, quantity: int) -> int:
        with self._lock:
            self._check_open()
            return self._add(item_id, quantity)

    def _add(self, item_id: ItemId, quantity: int) -> int:
        """Add to an item's stock, the lock held; refuse a level past the maximum."""
        level = self._stock.get(item_id, 0) + quantity
        if level > MAX_QUANTITY:
            raise InvalidQuantity(quantity, f"stock would pass {MAX_QUANTITY}")
        self._stock[item_id] = level
        return level

    def take_stock(self, item_id: ItemId, quantity: int) -> int:
        with self._lock:
            self._check_open()
            available = self._stock.get(item_id)
            if available is None:
                raise UnknownItem(item_id)
            if available < quantity:
                raise InsufficientStock(item_id, quantity, available)
            self._stock[item_id] = available - quantity
            return available - quantity

    def place_order(self, item_id: ItemId, quantity: int) -> Order:
        with self._lock:
            self._check_open()
            available = self._stock.get(item_id, 0)
            if available < quantity:
                raise InsufficientStock(item_id, quantity, available)
            order: Order = {
                "order_id": len(self._orders) + 1,
                "item_id": item_id,
                "quantity": quantity,
            }
            # Both changes are plain assignments that cannot fail half-way.
            self._stock[item_id] = available - quantity
            self._orders.append(order)
            return order.copy()

    def cancel_order(self, order_id: int) -> Order:
        with self._lock:
            self._check_open()
            order = next((o for o in self._orders if o["order_id"] == order_id), None)
            if order is None:
                raise UnknownOrder(order_id)
            if order_id in self._cancelled:
                raise OrderAlreadyCancelled(order_id)
            self._add(order["item_id"], order["quantity"])  # may refuse: then nothing changed
            self._cancelled.add(order_id)
            return order.copy()

    def list_orders(self) -> list[Order]:
        with self._lock:
            self._check_open()
            return [
                order.copy() for order in self._orders if order["order_id"] not in self._cancelled
            ]

    def close(self) -> None:
        with self._lock:
            self._closed = True
