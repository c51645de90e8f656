"""InventoryService: holds stock, as in the tutorial, on any :class:`StockStore`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orderkit.domain import ItemId, Order, check_item_id, check_order_id, check_quantity
from orderkit.errors import InvalidItemId
from orderkit.stores import MemoryStore, StockStore

DEFAULT_STOCK: Mapping[ItemId, int] = {1: 10, 2: 5}
"""The tutorial's opening stock: item 1 has 10 units, item 2 has 5."""

StockListener = Callable[[ItemId, int], None]
"""Called with ``(item_id, new_level)`` after every change made through the service."""


class InventoryService:
    """Hold stock: check it, take it, set it, restock it.

    ``stock`` is the opening stock (default :data:`DEFAULT_STOCK`). It is written only into
    an empty store, so reopening a database never resets it. ``store`` defaults to a new
    :class:`~orderkit.stores.MemoryStore`.

    Contract (the whole of it: notebooks/CONTRACT.md): bad input raises an
    ``OrderkitError`` and changes nothing; ``check_stock`` is exactly 0 for an item never
    stocked; taking exactly what is left is allowed; too little stock raises
    ``InsufficientStock`` (a ``ValueError``, message starting "Insufficient stock") and
    takes nothing; ``restock`` adds. Left open: the wording of messages beyond their
    first words, ``repr``, the order of ``snapshot()``.
    """

    def __init__(
        self, stock: Mapping[ItemId, int] | None = None, *, store: StockStore | None = None
    ) -> None:
        opening = _checked_stock(DEFAULT_STOCK if stock is None else stock)
        self._store: StockStore = MemoryStore() if store is None else store
        self._store.seed(opening)
        self._listeners: list[StockListener] = []

    def __repr__(self) -> str:
        return f"InventoryService(store={self._store!r})"

    @property
    def store(self) -> StockStore:
        """The store this service reads and writes."""
        return self._store

    def check_stock(self, item_id: ItemId) -> int:
        """Return the stock of ``item_id``; 0 for an item never held, as in the tutorial."""
        level = self._store.get_stock(check_item_id(item_id))
        return 0 if level is None else level

    def decrement_stock(self, item_id: ItemId, quantity: int) -> int:
        """Take ``quantity`` of ``item_id`` atomically; return what is left.

        Raises :class:`~orderkit.errors.InsufficientStock` (a ``ValueError``) when too
        little is left and :class:`~orderkit.errors.UnknownItem` for an item never held;
        either way the stock stays as it was.
        """
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        left = self._store.take_stock(item_id, quantity)
        self._notify(item_id, left)
        return left

    def take_for_order(self, item_id: ItemId, quantity: int) -> Order:
        """Take the stock for a new order and record the order, in one atomic step.

        This is what :class:`~orderkit.OrderService` calls. Checking and taking in one
        call is what stops two concurrent orders from both seeing the same stock.
        """
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        order = self._store.place_order(item_id, quantity)
        if self._listeners:  # the extra read costs a query on SQLite; skip it when unheard
            self._notify(item_id, self.check_stock(item_id))
        return order

    def cancel_order(self, order_id: int) -> Order:
        """Cancel an order in force and put its stock back, in one atomic step; return it.

        This is what :meth:`OrderService.cancel_order <orderkit.OrderService.cancel_order>`
        calls. Raises :class:`~orderkit.errors.InvalidOrderId`,
        :class:`~orderkit.errors.UnknownOrder` or
        :class:`~orderkit.errors.OrderAlreadyCancelled`, and then changes nothing.
        """
        order = self._store.cancel_order(check_order_id(order_id))
        if self._listeners:
            self._notify(order["item_id"], self.check_stock(order["item_id"]))
        return order

    def set_stock(self, item_id: ItemId, quantity: int) -> None:
        """Set the stock of ``item_id`` to ``quantity`` (0 allowed); what the widgets use."""
        item_id, quantity = check_item_id(item_id), check_quantity(quantity, allow_zero=True)
        self._store.set_stock(item_id, quantity)
        self._notify(item_id, quantity)

    def restock(self, item_id: ItemId, quantity: int) -> int:
        """Add ``quantity`` to ``item_id`` (a new item starts at 0); return the new level."""
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        level = self._store.add_stock(item_id, quantity)
        self._notify(item_id, level)
        return level

    def snapshot(self) -> dict[ItemId, int]:
        """Return every item's stock as a new dict."""
        return self._store.snapshot()

    def subscribe(self, listener: StockListener) -> Callable[[], None]:
        """Call ``listener(item_id, level)`` after each change; return an unsubscribe function.

        Widgets use this so that a change made in code shows up in the panel.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, item_id: ItemId, level: int) -> None:
        for listener in list(self._listeners):
            listener(item_id, level)


def _checked_stock(stock: Mapping[ItemId, int]) -> dict[ItemId, int]:
    """Check every entry of an opening stock before any of it is written."""
    if not isinstance(stock, Mapping):
        raise InvalidItemId(stock, "opening stock must be a mapping of item id to quantity")
    return {
        check_item_id(item_id): check_quantity(quantity, allow_zero=True)
        for item_id, quantity in stock.items()
    }
