"""Stock stores: one abstraction, an in-memory and a SQLite implementation."""

from orderkit.stores.base import StockStore
from orderkit.stores.memory import MemoryStore
from orderkit.stores.sqlite import SqliteStore

__all__ = ["MemoryStore", "SqliteStore", "StockStore"]
