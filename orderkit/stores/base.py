"""The storage abstraction every stock store implements.

It is deliberately small: read, set, add, take atomically, place and cancel an order
atomically, list orders. "If it's hard to fake, the abstraction is probably too
complicated": a test fake implements these same methods.

Stores trust their caller. The services check item ids and quantities first
(:mod:`orderkit.domain`), so a store only deals with valid values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType

from orderkit.domain import ItemId, Order


class StockStore(ABC):
    """Where stock levels and orders live."""

    @abstractmethod
    def get_stock(self, item_id: ItemId) -> int | None:
        """Return the stock of ``item_id``, or ``None`` if the store has never held it."""

    @abstractmethod
    def snapshot(self) -> dict[ItemId, int]:
        """Return every item's stock at one instant, as a new dict."""

    @abstractmethod
    def seed(self, stock: Mapping[ItemId, int]) -> bool:
        """Write ``stock`` if the store holds no item yet; return whether it did.

        One atomic step, so two processes opening a new database seed it once.
        """

    @abstractmethod
    def set_stock(self, item_id: ItemId, quantity: int) -> None:
        """Set the stock of ``item_id`` (creating the item if needed)."""

    @abstractmethod
    def add_stock(self, item_id: ItemId, quantity: int) -> int:
        """Add ``quantity`` to ``item_id`` (creating it at 0 first); return the new level.

        Raises :class:`~orderkit.errors.InvalidQuantity` and changes nothing if the new
        level would pass :data:`~orderkit.domain.MAX_QUANTITY`.
        """

    @abstractmethod
    def take_stock(self, item_id: ItemId, quantity: int) -> int:
        """Take ``quantity`` of ``item_id`` in one atomic step; return what is left.

        Raises :class:`~orderkit.errors.UnknownItem` for an item never held and
        :class:`~orderkit.errors.InsufficientStock` when too little is left; either way
        nothing changes.
        """

    @abstractmethod
    def place_order(self, item_id: ItemId, quantity: int) -> Order:
        """Take the stock for an order and record the order, both or neither.

        An item never held counts as stock 0, as in the tutorial, so ordering it raises
        :class:`~orderkit.errors.InsufficientStock`.
        """

    @abstractmethod
    def cancel_order(self, order_id: int) -> Order:
        """Cancel an order in force and put its stock back, both or neither; return it.

        Raises :class:`~orderkit.errors.UnknownOrder` for an id never given out,
        :class:`~orderkit.errors.OrderAlreadyCancelled` for an order cancelled before, and
        :class:`~orderkit.errors.InvalidQuantity` if the stock put back would pass
        :data:`~orderkit.domain.MAX_QUANTITY`; each time nothing changes. A cancelled
        order's id is never given out again.
        """

    @abstractmethod
    def list_orders(self) -> list[Order]:
        """Return every order in force (recorded, not cancelled), oldest first."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release what the store holds; the default holds nothing."""

    def __enter__(self) -> StockStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
