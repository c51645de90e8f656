"""The one exception hierarchy of orderkit.

Every error the kit raises on purpose is an :class:`OrderkitError`. Each one also inherits
the builtin whose meaning it shares, so code that catches ``ValueError`` (as the tutorial's
own test does) or ``LookupError`` keeps working.
"""

from __future__ import annotations

from typing import Any


class OrderkitError(Exception):
    """Root of every error orderkit raises on purpose."""


class InvalidQuantity(OrderkitError, ValueError):
    """A quantity that is not a whole number in the allowed range."""

    def __init__(self, quantity: Any, reason: str) -> None:
        self.quantity = quantity
        super().__init__(f"Invalid quantity {quantity!r}: {reason}")


class InvalidItemId(OrderkitError, ValueError):
    """An item id that is neither an int nor a non-empty str."""

    def __init__(self, item_id: Any, reason: str) -> None:
        self.item_id = item_id
        super().__init__(f"Invalid item id {item_id!r}: {reason}")


class InsufficientStock(OrderkitError, ValueError):
    """Not enough stock to take what was asked for; nothing was taken."""

    def __init__(self, item_id: Any, requested: int, available: int) -> None:
        self.item_id = item_id
        self.requested = requested
        self.available = available
        super().__init__(
            f"Insufficient stock for item {item_id!r}: requested {requested}, available {available}"
        )


class UnknownItem(OrderkitError, LookupError):
    """An item the store has never held, where counting it as stock 0 makes no sense."""

    def __init__(self, item_id: Any) -> None:
        self.item_id = item_id
        super().__init__(f"Unknown item {item_id!r}: it has no stock record")


class InvalidOrderId(OrderkitError, ValueError):
    """An order id that is not a whole number from 1 up: no order could have it."""

    def __init__(self, order_id: Any, reason: str) -> None:
        self.order_id = order_id
        super().__init__(f"Invalid order id {order_id!r}: {reason}")


class UnknownOrder(OrderkitError, LookupError):
    """An order id the store never gave out; nothing was changed."""

    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"Unknown order {order_id!r}: no order has that id")


class OrderAlreadyCancelled(OrderkitError, LookupError):
    """An order that was cancelled before: its stock is back already, so nothing changes.

    A ``LookupError`` as :class:`UnknownOrder` is: no order in force has that id.
    """

    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"Order already cancelled: order {order_id!r}; its stock is back")


class StoreError(OrderkitError):
    """The storage back end failed (closed, busy for too long, or unreadable)."""


class StoreClosed(StoreError):
    """The store was used after :meth:`close`."""

    def __init__(self, store: str) -> None:
        super().__init__(f"{store} is closed")


class StoreBusy(StoreError):
    """Another process held the database lock for longer than the store waits."""

    def __init__(self, path: str, waited: float) -> None:
        self.path = path
        self.waited = waited
        super().__init__(f"Database {path!r} stayed locked for {waited:g} s; try again")
