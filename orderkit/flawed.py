"""Deliberately buggy code, kept for teaching: each piece has one documented flaw.

Nothing here is part of the kit's public API (``orderkit/__init__.py`` does not export it)
and nothing here should be copied into real code. Each example passes the tests its author
would naturally write (one caller at a time, or a mock built on the author's assumptions)
and fails where only an integration test looks:

* :class:`NaiveOrderService` checks the stock, then writes ``stock - quantity``: a race
  (lost update) that oversells when two orders interleave.
* :func:`order_receipt` assumes ``create_order`` returns an object with ``.id``; the real
  :class:`~orderkit.OrderService` returns a dict, so it raises ``AttributeError``.
* :func:`reorder_list` assumes ``check_stock`` returns ``None`` for an item never stocked;
  the real :class:`~orderkit.InventoryService` returns 0, so the answer is silently wrong.

The harness that makes the race happen on purpose (threads released together, or a
forced interleaving without threads) is not flawed: it lives in :mod:`orderkit.concurrency`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from orderkit.domain import ItemId, Order, check_item_id, check_quantity
from orderkit.errors import InsufficientStock
from orderkit.inventory import InventoryService


class NaiveOrderService:
    """An OrderService that checks, then acts: correct alone, oversells under concurrency.

    ``create_order`` reads the stock with ``check_stock``, refuses if it is short, and
    otherwise writes ``available - quantity`` back with ``set_stock``. One caller at a time,
    it behaves as the tutorial says (order 2 of item 1: stock 8; order 6 of item 2:
    ``InsufficientStock``, stock stays 5).

    FLAW (check-then-act race, a *lost update*): two callers can both read the same level
    before either writes. Both orders pass the check, both are recorded, and the second
    write overwrites the first: with 5 units, two orders of 3 both succeed and the stock
    reads 2, so 6 units were sold out of 5. The real :class:`~orderkit.OrderService` takes
    stock in one atomic step (:meth:`~orderkit.InventoryService.take_for_order`), which
    leaves no gap.

    ``pause`` (default: none) is called between the check and the write. Races are rare
    when left to chance; a test passes ``threading.Barrier(n).wait`` (with threads) or
    :meth:`orderkit.concurrency.Interleaving.pause` (without) to make every caller pass the
    check before any of them writes, so the race happens every time.

    Orders are kept in this service, not in the store: a store can only record an order
    together with taking its stock (``place_order``), the very step this class leaves out.
    Input is checked as the real service checks it.
    """

    def __init__(
        self, inventory: InventoryService, *, pause: Callable[[], object] | None = None
    ) -> None:
        self._inventory = inventory
        self._pause = pause
        self._orders: list[Order] = []
        # Guards the order list only, so order ids stay unique: the one flaw is the stock.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"NaiveOrderService({self._inventory!r})"

    @property
    def inventory(self) -> InventoryService:
        """The inventory this service reads and writes."""
        return self._inventory

    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        """Check the stock, then take it in a separate write; return the order."""
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        available = self._inventory.check_stock(item_id)  # check ...
        if available < quantity:
            raise InsufficientStock(item_id, quantity, available)
        if self._pause is not None:
            self._pause()
        self._inventory.set_stock(item_id, available - quantity)  # ... then act: the race
        with self._lock:
            order: Order = {
                "order_id": len(self._orders) + 1,
                "item_id": item_id,
                "quantity": quantity,
            }
            self._orders.append(order)
        return order.copy()

    def list_orders(self) -> list[Order]:
        """Return the orders this service created, oldest first."""
        with self._lock:
            return [order.copy() for order in self._orders]


class PlacedOrder(Protocol):
    """What :func:`order_receipt`'s author believed ``create_order`` returns."""

    @property
    def id(self) -> int: ...

    @property
    def item_id(self) -> ItemId: ...

    @property
    def quantity(self) -> int: ...


class AssumedOrderService(Protocol):
    """The order service :func:`order_receipt` was written against (not the real one)."""

    def create_order(self, item_id: ItemId, quantity: int) -> PlacedOrder: ...


def order_receipt(orders: AssumedOrderService, item_id: ItemId, quantity: int) -> str:
    """Place an order and return a receipt line such as ``"Order #1: 2 x item 1"``.

    FLAW (contract mismatch): it reads ``order.id``, ``order.quantity`` and
    ``order.item_id``, but the real :meth:`~orderkit.OrderService.create_order` returns a
    dict ``{"order_id", "item_id", "quantity"}``. A unit test whose mock returns an object
    with those attributes passes (even ``create_autospec(OrderService)``, which checks
    method names and arguments, never return values); against the real service it raises
    ``AttributeError: 'dict' object has no attribute 'id'``, after the order was placed and
    its stock taken. A type checker would flag the real service as an argument here, but
    only where the calling code is type-checked.
    """
    order = orders.create_order(item_id, quantity)
    return f"Order #{order.id}: {order.quantity} x item {order.item_id}"


class AssumedInventory(Protocol):
    """The inventory :func:`reorder_list` was written against (not the real one)."""

    def check_stock(self, item_id: ItemId) -> int | None: ...


def reorder_list(inventory: AssumedInventory, item_ids: Iterable[ItemId]) -> list[ItemId]:
    """Return the sold-out items among ``item_ids``, skipping items the shop never stocked.

    FLAW (contract mismatch, no error raised): it assumes ``check_stock`` returns ``None``
    for an item never stocked, but the real
    :meth:`~orderkit.InventoryService.check_stock` returns 0, as the tutorial's does. So an
    item the shop never carried (``"SOFA"``) lands on the reorder list: a wrong answer, not
    an exception. Types do not catch it either: a method returning ``int`` satisfies
    ``int | None``. For items that were stocked the answer is right.
    """
    sold_out: list[ItemId] = []
    for item_id in item_ids:
        level = inventory.check_stock(item_id)
        if level is None:  # never stocked: not ours to reorder
            continue
        if level == 0:
            sold_out.append(item_id)
    return sold_out
