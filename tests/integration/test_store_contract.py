"""One contract, every store: what any StockStore must do, run on memory and SQLite."""

from __future__ import annotations

import pytest

from orderkit import (
    MAX_QUANTITY,
    InsufficientStock,
    InvalidQuantity,
    StockStore,
    StoreClosed,
    UnknownItem,
)


def test_a_new_store_is_empty(store: StockStore) -> None:
    assert store.snapshot() == {}
    assert store.list_orders() == []
    assert store.get_stock(1) is None


def test_seed_writes_only_into_an_empty_store(store: StockStore) -> None:
    assert store.seed({1: 10, "LAMP": 3}) is True
    assert store.seed({1: 99}) is False

    assert store.snapshot() == {1: 10, "LAMP": 3}


def test_int_and_str_ids_are_different_items(store: StockStore) -> None:
    store.set_stock(1, 10)
    store.set_stock("1", 3)

    assert store.get_stock(1) == 10
    assert store.get_stock("1") == 3
    assert store.snapshot() == {1: 10, "1": 3}


def test_snapshot_keeps_the_order_items_were_added(store: StockStore) -> None:
    item_ids: list[int | str] = ["B", 2, "A", 1]
    for item_id in item_ids:
        store.set_stock(item_id, 1)

    assert list(store.snapshot()) == ["B", 2, "A", 1]


def test_set_replaces_and_add_accumulates(store: StockStore) -> None:
    store.set_stock("LAMP", 5)
    store.set_stock("LAMP", 2)

    assert store.add_stock("LAMP", 3) == 5
    assert store.add_stock("NEW", 4) == 4


def test_add_past_the_maximum_is_refused_and_changes_nothing(store: StockStore) -> None:
    store.set_stock("LAMP", MAX_QUANTITY - 1)

    with pytest.raises(InvalidQuantity, match="would pass"):
        store.add_stock("LAMP", 2)

    assert store.get_stock("LAMP") == MAX_QUANTITY - 1
    assert store.add_stock("LAMP", 1) == MAX_QUANTITY


def test_take_is_conditional(store: StockStore) -> None:
    store.set_stock("LAMP", 3)

    assert store.take_stock("LAMP", 3) == 0
    with pytest.raises(InsufficientStock) as caught:
        store.take_stock("LAMP", 1)

    assert (caught.value.requested, caught.value.available) == (1, 0)
    assert store.get_stock("LAMP") == 0


def test_take_of_an_unknown_item_raises_unknown_item(store: StockStore) -> None:
    with pytest.raises(UnknownItem):
        store.take_stock("SOFA", 1)

    assert store.snapshot() == {}


def test_place_order_takes_stock_and_records_the_order(store: StockStore) -> None:
    store.set_stock("LAMP", 3)

    order = store.place_order("LAMP", 2)

    assert order == {"order_id": 1, "item_id": "LAMP", "quantity": 2}
    assert store.get_stock("LAMP") == 1
    assert store.list_orders() == [order]


def test_a_refused_order_records_nothing_and_takes_nothing(store: StockStore) -> None:
    store.set_stock("LAMP", 3)

    with pytest.raises(InsufficientStock):
        store.place_order("LAMP", 4)
    with pytest.raises(InsufficientStock, match="available 0"):
        store.place_order("SOFA", 1)

    assert store.snapshot() == {"LAMP": 3}
    assert store.list_orders() == []


def test_order_ids_increase_and_skip_no_refused_number(store: StockStore) -> None:
    store.set_stock("LAMP", 3)

    first = store.place_order("LAMP", 1)
    with pytest.raises(InsufficientStock):
        store.place_order("LAMP", 5)
    second = store.place_order("LAMP", 1)

    assert (first["order_id"], second["order_id"]) == (1, 2)


def test_list_orders_returns_copies(store: StockStore) -> None:
    store.set_stock(1, 5)
    store.place_order(1, 1)

    store.list_orders()[0]["quantity"] = 99

    assert store.list_orders()[0]["quantity"] == 1


def test_a_closed_store_refuses_work(store: StockStore) -> None:
    store.close()

    with pytest.raises(StoreClosed, match="closed"):
        store.get_stock(1)
