"""orderkit: learn unit and integration testing with two collaborating services.

An :class:`InventoryService` holds stock; an :class:`OrderService` creates orders and takes
the stock they need, and puts it back when an order is cancelled. Both run on a
:class:`StockStore`: in memory or in SQLite.
"""

from importlib import metadata as _metadata

from orderkit.domain import MAX_QUANTITY, ItemId, Order
from orderkit.errors import (
    InsufficientStock,
    InvalidItemId,
    InvalidOrderId,
    InvalidQuantity,
    OrderAlreadyCancelled,
    OrderkitError,
    StoreBusy,
    StoreClosed,
    StoreError,
    UnknownItem,
    UnknownOrder,
)
from orderkit.inventory import DEFAULT_STOCK, InventoryService
from orderkit.orders import OrderService
from orderkit.stores import MemoryStore, SqliteStore, StockStore

__all__ = [
    "DEFAULT_STOCK",
    "MAX_QUANTITY",
    "InsufficientStock",
    "InvalidItemId",
    "InvalidOrderId",
    "InvalidQuantity",
    "InventoryService",
    "ItemId",
    "MemoryStore",
    "Order",
    "OrderAlreadyCancelled",
    "OrderService",
    "OrderkitError",
    "SqliteStore",
    "StockStore",
    "StoreBusy",
    "StoreClosed",
    "StoreError",
    "UnknownItem",
    "UnknownOrder",
]

try:  # written once, in pyproject.toml; installed (editable or not), its metadata has it
    __version__ = _metadata.version("orderkit")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
