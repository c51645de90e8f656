"""OrderService: creates orders with stock from an InventoryService, and cancels them."""

from __future__ import annotations

from collections.abc import Callable

from orderkit.domain import ItemId, Order, check_item_id, check_order_id, check_quantity
from orderkit.inventory import InventoryService

OrderListener = Callable[[Order], None]
"""Called with each new order after it was recorded."""


class OrderService:
    """Create orders, as in the tutorial, cancel them, and list them.

    The inventory is passed in (constructor injection), so a unit test can hand it a stub
    or a mock and an integration test a real :class:`InventoryService`.

    Contract (the whole of it: notebooks/CONTRACT.md): an order takes its stock in one
    atomic step through ``take_for_order``; order ids are unique and increase, the first
    of a store is 1; ``list_orders`` lists the store's orders, oldest first, never a
    refused one. Left open: whether a refused order uses up an id (gaps).
    """

    def __init__(self, inventory: InventoryService) -> None:
        self._inventory = inventory
        self._listeners: list[OrderListener] = []

    def __repr__(self) -> str:
        return f"OrderService({self._inventory!r})"

    @property
    def inventory(self) -> InventoryService:
        """The inventory this service takes stock from."""
        return self._inventory

    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        """Create an order if there is enough stock, take that stock, return the order.

        Returns ``{"order_id", "item_id", "quantity"}``. With too little stock it raises
        :class:`~orderkit.errors.InsufficientStock`, a ``ValueError`` whose message contains
        "Insufficient stock", and neither stock nor orders change.
        """
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        order = self._inventory.take_for_order(item_id, quantity)
        for listener in list(self._listeners):
            listener(order)
        return order

    def cancel_order(self, order_id: int) -> Order:
        """Cancel an order in force and put its stock back, in one atomic step; return it.

        Returns the order as :meth:`create_order` returned it; it is no longer listed.
        An id that is not an int from 1 up raises :class:`~orderkit.errors.InvalidOrderId`
        (a ``ValueError``), an id never given out :class:`~orderkit.errors.UnknownOrder`
        and an order cancelled before :class:`~orderkit.errors.OrderAlreadyCancelled`
        (both ``LookupError``); each time neither stock nor orders change.
        """
        return self._inventory.cancel_order(check_order_id(order_id))

    def list_orders(self) -> list[Order]:
        """Return every order in force in the inventory's store (not cancelled), oldest first."""
        return self._inventory.store.list_orders()

    def subscribe(self, listener: OrderListener) -> Callable[[], None]:
        """Call ``listener(order)`` after each new order; return an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
