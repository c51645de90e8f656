"""An implementation of the services under test: the correct one (the "wheat") or a chaff.

Student tests are graded the Examplar way ("wheats and chaffs", Brown University): they must
all pass on the wheat, and each buggy chaff must make at least one of them fail. A student's
tests name the kit's classes as usual (``InventoryService``, ``OrderService``,
``MemoryStore``, ``SqliteStore``); the grader swaps in an implementation's classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orderkit.inventory import InventoryService
from orderkit.orders import OrderService
from orderkit.stores import MemoryStore, SqliteStore

Level = Literal["unit", "integration", "database", "concurrency"]
"""The lowest kind of test that catches a bug.

* ``unit``: one service alone (the other one replaced by a test double, if needed);
* ``integration``: the two real services together;
* ``database``: a real SQLite file, often closed and reopened;
* ``concurrency``: several threads or processes ordering at once.
"""

LEVELS: tuple[Level, ...] = ("unit", "integration", "database", "concurrency")


@dataclass(frozen=True)
class Implementation:
    """One set of the four classes a test can use, with what is wrong in it (if anything)."""

    name: str
    title: str
    level: Level
    hint: str
    inventory_service: type[InventoryService] = InventoryService
    order_service: type[OrderService] = OrderService
    memory_store: type[MemoryStore] = MemoryStore
    sqlite_store: type[SqliteStore] = SqliteStore

    @property
    def is_wheat(self) -> bool:
        """True for the correct implementation."""
        return self.name == WHEAT.name

    def swaps(self) -> dict[type, type]:
        """Map each correct class to this implementation's class."""
        return {
            InventoryService: self.inventory_service,
            OrderService: self.order_service,
            MemoryStore: self.memory_store,
            SqliteStore: self.sqlite_store,
        }


WHEAT = Implementation(
    name="correct",
    title="The correct implementation",
    level="unit",
    hint="Every test must pass here: a test that fails on correct code is wrong.",
)
