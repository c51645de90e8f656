"""InventoryService alone, on the default in-memory store."""

from __future__ import annotations

import pytest

from orderkit import (
    DEFAULT_STOCK,
    InsufficientStock,
    InvalidItemId,
    InvalidQuantity,
    InventoryService,
    MemoryStore,
    UnknownItem,
)


def test_default_stock_is_the_tutorials() -> None:
    inventory = InventoryService()

    assert inventory.snapshot() == {1: 10, 2: 5}
    assert inventory.snapshot() == dict(DEFAULT_STOCK)


def test_unknown_item_has_stock_zero_as_in_the_tutorial() -> None:
    assert InventoryService().check_stock(99) == 0


def test_decrement_takes_stock_and_returns_what_is_left() -> None:
    inventory = InventoryService({"LAMP": 4})

    left = inventory.decrement_stock("LAMP", 3)

    assert left == 1
    assert inventory.check_stock("LAMP") == 1


def test_decrement_of_all_that_is_left_empties_the_item() -> None:
    inventory = InventoryService({"LAMP": 4})

    assert inventory.decrement_stock("LAMP", 4) == 0


def test_decrement_beyond_stock_raises_and_keeps_the_stock() -> None:
    inventory = InventoryService({"LAMP": 4})

    with pytest.raises(InsufficientStock, match="Insufficient stock") as caught:
        inventory.decrement_stock("LAMP", 5)

    assert (caught.value.requested, caught.value.available) == (5, 4)
    assert inventory.check_stock("LAMP") == 4


def test_decrement_of_an_unknown_item_is_a_lookup_error() -> None:
    inventory = InventoryService()

    with pytest.raises(UnknownItem, match="Unknown item 'SOFA'"):
        inventory.decrement_stock("SOFA", 1)

    assert inventory.snapshot() == {1: 10, 2: 5}


def test_set_stock_accepts_zero_and_creates_items() -> None:
    inventory = InventoryService()

    inventory.set_stock(1, 0)
    inventory.set_stock("LAMP", 7)

    assert inventory.snapshot() == {1: 0, 2: 5, "LAMP": 7}


def test_restock_adds_and_starts_new_items_at_zero() -> None:
    inventory = InventoryService()

    assert inventory.restock(2, 3) == 8
    assert inventory.restock("LAMP", 2) == 2


def test_opening_stock_is_checked_before_anything_is_written() -> None:
    store = MemoryStore()

    with pytest.raises(InvalidQuantity, match="-1"):
        InventoryService({1: 3, 2: -1}, store=store)
    with pytest.raises(InvalidItemId, match=r"1\.5"):
        InventoryService({1.5: 3}, store=store)  # type: ignore[dict-item]

    assert store.snapshot() == {}


def test_opening_stock_must_be_a_mapping() -> None:
    with pytest.raises(InvalidItemId, match="mapping"):
        InventoryService([(1, 3)])  # type: ignore[arg-type]


def test_opening_stock_does_not_overwrite_a_store_that_holds_items() -> None:
    store = MemoryStore({"LAMP": 1})

    inventory = InventoryService({"LAMP": 50}, store=store)

    assert inventory.snapshot() == {"LAMP": 1}


def test_snapshot_is_a_copy() -> None:
    inventory = InventoryService()

    inventory.snapshot()[1] = 0

    assert inventory.check_stock(1) == 10


def test_listeners_hear_every_change_until_they_unsubscribe() -> None:
    inventory = InventoryService()
    heard: list[tuple[object, int]] = []
    unsubscribe = inventory.subscribe(lambda item, level: heard.append((item, level)))

    inventory.set_stock(1, 4)
    inventory.decrement_stock(1, 1)
    inventory.restock(2, 1)
    inventory.take_for_order(2, 6)
    unsubscribe()
    inventory.set_stock(1, 9)

    assert heard == [(1, 4), (1, 3), (2, 6), (2, 0)]


def test_a_failed_change_is_not_announced() -> None:
    inventory = InventoryService()
    heard: list[tuple[object, int]] = []
    inventory.subscribe(lambda item, level: heard.append((item, level)))

    with pytest.raises(InsufficientStock):
        inventory.decrement_stock(2, 6)

    assert heard == []
