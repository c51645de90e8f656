"""Every bad call through the public API raises an OrderkitError and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderkit import InventoryService, OrderkitError, OrderService
from tests.conftest import STORE_KINDS, open_store

bad_quantities = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.integers(max_value=0),
    st.integers(min_value=2**63),
    st.lists(st.integers(), max_size=2),
)
bad_item_ids = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.just(""),
    st.just("  "),
    st.tuples(st.integers()),
    st.integers(min_value=2**63),
)
good_item_ids = st.sampled_from([1, 2, "LAMP"])
good_quantities = st.integers(min_value=1, max_value=20)

Call = Callable[[InventoryService, OrderService], object]


def _calls_with_bad_quantity(item_id: Any, quantity: Any) -> list[Call]:
    return [
        lambda inv, _: inv.decrement_stock(item_id, quantity),
        lambda inv, _: inv.restock(item_id, quantity),
        lambda _, orders: orders.create_order(item_id, quantity),
    ]


def _assert_changes_nothing(call: Call, inventory: InventoryService, orders: OrderService) -> None:
    before = (inventory.snapshot(), orders.list_orders())

    with pytest.raises(OrderkitError) as caught:
        call(inventory, orders)

    assert (inventory.snapshot(), orders.list_orders()) == before
    assert "Invalid" in str(caught.value)


@pytest.fixture(params=STORE_KINDS)
def services(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[InventoryService, OrderService]]:
    with open_store(request.param, tmp_path) as store:
        inventory = InventoryService(store=store)
        orders = OrderService(inventory)
        orders.create_order(1, 1)  # so "orders unchanged" compares a non-empty list
        yield inventory, orders


settings_for_fixtures = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings_for_fixtures
@given(item_id=good_item_ids, quantity=bad_quantities)
def test_a_bad_quantity_is_refused_everywhere(
    services: tuple[InventoryService, OrderService], item_id: object, quantity: object
) -> None:
    for call in _calls_with_bad_quantity(item_id, quantity):
        _assert_changes_nothing(call, *services)


@settings_for_fixtures
@given(quantity=st.one_of(st.none(), st.floats(), st.text(max_size=3), st.integers(max_value=-1)))
def test_set_stock_refuses_all_but_whole_numbers_from_zero(
    services: tuple[InventoryService, OrderService], quantity: object
) -> None:
    _assert_changes_nothing(lambda inv, _: inv.set_stock(1, quantity), *services)  # type: ignore[arg-type]


@settings_for_fixtures
@given(item_id=bad_item_ids, quantity=good_quantities)
def test_a_bad_item_id_is_refused_everywhere(
    services: tuple[InventoryService, OrderService], item_id: object, quantity: int
) -> None:
    calls: list[Call] = [
        lambda inv, _: inv.check_stock(item_id),  # type: ignore[arg-type]
        lambda inv, _: inv.set_stock(item_id, quantity),  # type: ignore[arg-type]
        *_calls_with_bad_quantity(item_id, quantity),
    ]
    for call in calls:
        _assert_changes_nothing(call, *services)


@pytest.mark.parametrize(
    "quantity", [True, 2.0, "2", None, 0, -1], ids=["bool", "float", "str", "None", "0", "-1"]
)
def test_each_listed_bad_quantity_names_itself(
    services: tuple[InventoryService, OrderService], quantity: object
) -> None:
    inventory, orders = services

    with pytest.raises(OrderkitError, match=f"Invalid quantity {quantity!r}"):
        orders.create_order(1, quantity)  # type: ignore[arg-type]

    assert inventory.check_stock(1) == 9
