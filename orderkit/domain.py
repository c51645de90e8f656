"""What an item id, a quantity and an order are, and how input is checked.

Checks live here, once, so that every service and store rejects the same bad values with
the same errors, before anything is changed.
"""

from __future__ import annotations

from typing import Any, TypedDict, Union

from orderkit.errors import InvalidItemId, InvalidOrderId, InvalidQuantity

ItemId = Union[int, str]
"""Item ids are ints (as in the tutorial) or non-empty strings such as ``"LAMP"``."""

MAX_QUANTITY = 2**63 - 1
"""The largest stock level: what SQLite's 64-bit INTEGER holds, so both stores agree."""


class Order(TypedDict):
    """An order as the tutorial returns it."""

    order_id: int
    item_id: ItemId
    quantity: int


def check_item_id(item_id: Any) -> ItemId:
    """Return ``item_id`` if it is a valid item id, else raise :class:`InvalidItemId`."""
    if isinstance(item_id, bool) or not isinstance(item_id, (int, str)):
        raise InvalidItemId(item_id, f"must be an int or a str, not {type(item_id).__name__}")
    if isinstance(item_id, str):
        if not item_id.strip():
            raise InvalidItemId(item_id, "must not be empty")
        try:
            item_id.encode("utf-8")  # what SQLite stores; a lone surrogate has no encoding
        except UnicodeEncodeError:
            raise InvalidItemId(item_id, "must be valid Unicode text") from None
    if isinstance(item_id, int) and not -MAX_QUANTITY - 1 <= item_id <= MAX_QUANTITY:
        raise InvalidItemId(item_id, "must fit in 64 bits")
    return item_id


def check_quantity(quantity: Any, *, allow_zero: bool = False) -> int:
    """Return ``quantity`` if it is a valid whole amount, else raise :class:`InvalidQuantity`.

    Quantities are ints only: ``True``, ``2.0`` and ``"2"`` are refused rather than
    converted, because a silent conversion hides the caller's bug.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(quantity, f"must be an int, not {type(quantity).__name__}")
    lowest = 0 if allow_zero else 1
    if quantity < lowest:
        raise InvalidQuantity(quantity, f"must be {lowest} or more")
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(quantity, f"must be at most {MAX_QUANTITY}")
    return quantity


def check_order_id(order_id: Any) -> int:
    """Return ``order_id`` if an order could have it, else raise :class:`InvalidOrderId`.

    Order ids are ints from 1 (a store's first order) up to :data:`MAX_QUANTITY` (what
    SQLite's INTEGER holds); ``True`` and ``"1"`` are refused, as for quantities.
    """
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise InvalidOrderId(order_id, f"must be an int, not {type(order_id).__name__}")
    if not 1 <= order_id <= MAX_QUANTITY:
        raise InvalidOrderId(order_id, f"must be from 1 to {MAX_QUANTITY}")
    return order_id
