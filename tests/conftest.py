"""Fixtures shared by every test: stores, services, and a database path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderkit import InventoryService, MemoryStore, OrderService, SqliteStore, StockStore

STORE_KINDS = ["memory", "sqlite"]


def open_store(kind: str, tmp_path: Path) -> StockStore:
    """Open an empty store of ``kind``; SQLite gets a real file in ``tmp_path``."""
    if kind == "memory":
        return MemoryStore()
    return SqliteStore(tmp_path / "shop.db")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's SQLite database lives; gone after the test."""
    return tmp_path / "shop.db"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StockStore]:
    """An empty store, once in memory and once in a SQLite file."""
    with open_store(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
def inventory(store: StockStore) -> InventoryService:
    """The tutorial's inventory (item 1: 10, item 2: 5) on each kind of store."""
    return InventoryService(store=store)


@pytest.fixture
def orders(inventory: InventoryService) -> OrderService:
    """An OrderService wired to the real inventory."""
    return OrderService(inventory)
