"""The bug catalogue: realistic buggy variants ("chaffs") of the services.

Each chaff changes one behaviour of the correct classes, the way a real programmer gets it
wrong, and is tagged with the lowest level of test that catches it. Hints name the
concept to test, never the fix. Students never see this source: the scoreboard shows only
titles and hints.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from orderkit.classroom.implementations import Implementation
from orderkit.domain import ItemId, Order, check_item_id
from orderkit.errors import InsufficientStock
from orderkit.inventory import InventoryService
from orderkit.orders import OrderService
from orderkit.stores import MemoryStore, SqliteStore

# The window a racy read-then-write leaves open: stands for the work (a query, a network
# call) that real code does between the two, and makes the race show up every run.
_RACE_WINDOW = 0.0005


# -- unit: InventoryService alone catches these ------------------------------------------
class _OffByOneInventory(InventoryService):
    def _refuse_the_last_unit(self, item_id: Any, quantity: Any) -> None:
        available = self.check_stock(item_id)
        if isinstance(quantity, int) and 0 < available <= quantity:  # should be <
            raise InsufficientStock(item_id, quantity, available)

    def decrement_stock(self, item_id: ItemId, quantity: int) -> int:
        self._refuse_the_last_unit(item_id, quantity)
        return super().decrement_stock(item_id, quantity)

    def take_for_order(self, item_id: ItemId, quantity: int) -> Order:
        self._refuse_the_last_unit(item_id, quantity)
        return super().take_for_order(item_id, quantity)


class _TakesStockWhenShortInventory(InventoryService):
    def decrement_stock(self, item_id: ItemId, quantity: int) -> int:
        try:
            return super().decrement_stock(item_id, quantity)
        except InsufficientStock:
            self.set_stock(item_id, 0)  # "sell what we have" before refusing
            raise

    def take_for_order(self, item_id: ItemId, quantity: int) -> Order:
        try:
            return super().take_for_order(item_id, quantity)
        except InsufficientStock:
            self.set_stock(item_id, 0)
            raise


class _NegativeQuantityInventory(InventoryService):
    def decrement_stock(self, item_id: ItemId, quantity: int) -> int:
        if isinstance(quantity, int) and quantity < 0:  # only 0 was thought of
            return self.store.take_stock(check_item_id(item_id), quantity)
        return super().decrement_stock(item_id, quantity)

    def take_for_order(self, item_id: ItemId, quantity: int) -> Order:
        if isinstance(quantity, int) and quantity < 0:
            return self.store.place_order(check_item_id(item_id), quantity)
        return super().take_for_order(item_id, quantity)


class _NegativeQuantityOrders(OrderService):
    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        if isinstance(quantity, int) and quantity < 0:
            return self.inventory.take_for_order(item_id, quantity)
        return super().create_order(item_id, quantity)


class _KeyErrorInventory(InventoryService):
    def check_stock(self, item_id: ItemId) -> int:
        return self.snapshot()[item_id]  # a bare KeyError for an item never stocked


class _NoneForUnknownInventory(InventoryService):
    def check_stock(self, item_id: ItemId) -> int:
        return self.snapshot().get(item_id)  # type: ignore[return-value]  # the bug


class _WrongErrorInventory(InventoryService):
    def decrement_stock(self, item_id: ItemId, quantity: int) -> int:
        try:
            return super().decrement_stock(item_id, quantity)
        except InsufficientStock as error:
            raise RuntimeError(str(error)) from None

    def take_for_order(self, item_id: ItemId, quantity: int) -> Order:
        try:
            return super().take_for_order(item_id, quantity)
        except InsufficientStock as error:
            raise RuntimeError(str(error)) from None


class _RestockReplacesInventory(InventoryService):
    def restock(self, item_id: ItemId, quantity: int) -> int:
        self.set_stock(item_id, quantity)  # should add to what is there
        return quantity


class _NegativeStockInventory(InventoryService):
    def set_stock(self, item_id: ItemId, quantity: int) -> None:
        if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity < 0:
            self.store.set_stock(check_item_id(item_id), quantity)
            return
        super().set_stock(item_id, quantity)


# -- unit: OrderService with a test double catches these -----------------------------------
class _SwappedArgumentsOrders(OrderService):
    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        order = self.inventory.take_for_order(quantity, item_id)  # type: ignore[arg-type]  # swapped
        return {"order_id": order["order_id"], "item_id": item_id, "quantity": quantity}


class _QuantityIgnoredOrders(OrderService):
    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        order = self.inventory.take_for_order(item_id, 1)  # always one unit
        return {"order_id": order["order_id"], "item_id": item_id, "quantity": quantity}


# -- integration: only the two real services together show these --------------------------
class _RefusedOrdersListedOrders(OrderService):
    def __init__(self, inventory: InventoryService) -> None:
        super().__init__(inventory)
        self._log: list[Order] = []

    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        # Logged before we know the stock was taken: a refused order stays in the log.
        self._log.append({"order_id": len(self._log) + 1, "item_id": item_id, "quantity": quantity})
        return super().create_order(item_id, quantity)

    def list_orders(self) -> list[Order]:
        return [dict(order) for order in self._log]  # type: ignore[misc]


class _OrdersKeptPerServiceOrders(OrderService):
    def __init__(self, inventory: InventoryService) -> None:
        super().__init__(inventory)
        self._mine: list[Order] = []

    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        order = super().create_order(item_id, quantity)
        self._mine.append(order)
        return order

    def list_orders(self) -> list[Order]:
        return [dict(order) for order in self._mine]  # type: ignore[misc]  # not the store's


# -- database: only a real SQLite file shows these -----------------------------------------
class _NeverCommitsSqlite(SqliteStore):
    def __init__(self, path: Any, *, timeout: float = 2.0) -> None:
        super().__init__(path, timeout=timeout)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            if not conn.in_transaction:
                conn.execute("BEGIN")
            yield conn  # ... and no COMMIT: the changes live until the connection closes


class _ReseedsOnOpenSqlite(SqliteStore):
    def seed(self, stock: Mapping[ItemId, int]) -> bool:
        with self._write() as conn:  # writes the opening stock on every open
            conn.executemany(
                "INSERT OR REPLACE INTO stock (item_id, quantity) VALUES (?, ?)", stock.items()
            )
        return True


class _TextItemIdsSqlite(SqliteStore):
    schema = SqliteStore.schema.replace("item_id PRIMARY KEY", "item_id TEXT PRIMARY KEY").replace(
        "item_id NOT NULL", "item_id TEXT NOT NULL"
    )


# -- concurrency: only orders at the same time show these ----------------------------------
class _RacyMemoryStore(MemoryStore):
    def place_order(self, item_id: ItemId, quantity: int) -> Order:
        available = self.get_stock(item_id) or 0  # read ...
        if available < quantity:
            raise InsufficientStock(item_id, quantity, available)
        time.sleep(_RACE_WINDOW)
        with self._lock:  # ... then write what was read: a lost update
            self._stock[item_id] = available - quantity
            order: Order = {
                "order_id": len(self._orders) + 1,
                "item_id": item_id,
                "quantity": quantity,
            }
            self._orders.append(order)
        return dict(order)  # type: ignore[return-value]


class _RacySqlite(SqliteStore):
    def place_order(self, item_id: ItemId, quantity: int) -> Order:
        available = self.get_stock(item_id) or 0  # read in one transaction ...
        if available < quantity:
            raise InsufficientStock(item_id, quantity, available)
        time.sleep(_RACE_WINDOW)
        with self._write() as conn:  # ... write in another
            conn.execute(
                "UPDATE stock SET quantity = ? WHERE item_id = ?", (available - quantity, item_id)
            )
            cursor = conn.execute(
                "INSERT INTO orders (item_id, quantity) VALUES (?, ?)", (item_id, quantity)
            )
        return {"order_id": int(cursor.lastrowid or 0), "item_id": item_id, "quantity": quantity}


class _RacyInventory(InventoryService):
    default_store = _RacyMemoryStore


CHAFFS: tuple[Implementation, ...] = (
    Implementation(
        "off-by-one",
        "Ordering exactly the stock that is left is refused",
        "unit",
        "Boundaries: what should happen when an order asks for exactly what is left?",
        inventory_service=_OffByOneInventory,
    ),
    Implementation(
        "takes-stock-when-short",
        "A refused order still takes the stock that was left",
        "unit",
        "After an order is refused, is the stock really unchanged?",
        inventory_service=_TakesStockWhenShortInventory,
    ),
    Implementation(
        "swapped-arguments",
        "The order takes stock of the wrong item",
        "unit",
        "Check the stock of the item you ordered, and of the others, after an order.",
        order_service=_SwappedArgumentsOrders,
    ),
    Implementation(
        "quantity-ignored",
        "An order always takes one unit, whatever the quantity",
        "unit",
        "Order more than one unit: how much stock should be gone?",
        order_service=_QuantityIgnoredOrders,
    ),
    Implementation(
        "negative-quantity",
        "A negative quantity is accepted (and adds stock)",
        "unit",
        "Invalid input: which quantities must be refused, and with which error?",
        inventory_service=_NegativeQuantityInventory,
        order_service=_NegativeQuantityOrders,
    ),
    Implementation(
        "unknown-item-keyerror",
        "Checking an item never stocked crashes with a bare KeyError",
        "unit",
        "What does the tutorial say check_stock returns for an unknown item?",
        inventory_service=_KeyErrorInventory,
    ),
    Implementation(
        "none-for-unknown",
        "check_stock returns None instead of 0 for an item never stocked (contract mismatch)",
        "unit",
        "Contracts: test the exact value returned for an unknown item, not just that it is falsy.",
        inventory_service=_NoneForUnknownInventory,
    ),
    Implementation(
        "wrong-exception",
        "Too little stock raises RuntimeError instead of InsufficientStock (a ValueError)",
        "unit",
        "Test the type of the error, not only that something was raised.",
        inventory_service=_WrongErrorInventory,
    ),
    Implementation(
        "restock-replaces",
        "Restocking replaces the stock instead of adding to it",
        "unit",
        "Restock an item that still has stock: what total do you expect?",
        inventory_service=_RestockReplacesInventory,
    ),
    Implementation(
        "negative-stock",
        "set_stock accepts a negative level",
        "unit",
        "Which stock levels are valid? Test the edge just below the smallest one.",
        inventory_service=_NegativeStockInventory,
    ),
    Implementation(
        "refused-orders-listed",
        "A refused order still shows up in list_orders",
        "integration",
        "With the real services, which orders should be listed after one was refused?",
        order_service=_RefusedOrdersListedOrders,
    ),
    Implementation(
        "orders-kept-per-service",
        "list_orders shows only the orders this OrderService made, not the store's",
        "integration",
        "Two OrderService objects on one inventory (two tills in one shop): what is listed?",
        order_service=_OrdersKeptPerServiceOrders,
    ),
    Implementation(
        "never-commits",
        "SQLite changes are never committed: they are lost when the database is reopened",
        "database",
        "Persistence: close the store, open the same file again, and look.",
        sqlite_store=_NeverCommitsSqlite,
    ),
    Implementation(
        "reseeds-on-open",
        "Reopening a SQLite database resets the stock to the opening stock",
        "database",
        "Change the stock, reopen the file with a new InventoryService: what is kept?",
        sqlite_store=_ReseedsOnOpenSqlite,
    ),
    Implementation(
        "text-item-ids",
        "SQLite stores item ids as text: item 1 comes back as '1'",
        "database",
        "Compare what a SQLite-backed inventory returns with what you put in, types included.",
        sqlite_store=_TextItemIdsSqlite,
    ),
    Implementation(
        "check-then-act-race",
        "Stock is read, then written in a separate step: concurrent orders oversell",
        "concurrency",
        "Many orders at once from several threads: is sold + left still the initial stock?",
        inventory_service=_RacyInventory,
        memory_store=_RacyMemoryStore,
        sqlite_store=_RacySqlite,
    ),
)
"""Every chaff, from the lowest level to the highest."""
