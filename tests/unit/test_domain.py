"""Input checks: every bad item id or quantity gets a typed error naming the value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit import MAX_QUANTITY, InvalidItemId, InvalidQuantity, OrderkitError
from orderkit.domain import check_item_id, check_quantity

BAD_QUANTITIES = [True, False, 2.0, 2.5, "2", None, 0, -1, MAX_QUANTITY + 1, [2], object()]


@pytest.mark.parametrize("quantity", BAD_QUANTITIES, ids=repr)
def test_bad_quantity_is_refused_with_its_value_in_the_message(quantity: object) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        check_quantity(quantity)

    assert repr(quantity) in str(caught.value)
    assert caught.value.quantity is quantity


def test_zero_is_a_quantity_only_where_allowed() -> None:
    assert check_quantity(0, allow_zero=True) == 0
    with pytest.raises(InvalidQuantity, match="must be 1 or more"):
        check_quantity(0)


def test_negative_stays_refused_even_where_zero_is_allowed() -> None:
    with pytest.raises(InvalidQuantity, match="must be 0 or more"):
        check_quantity(-1, allow_zero=True)


@given(st.integers(min_value=1, max_value=MAX_QUANTITY))
def test_every_positive_int_in_range_is_a_quantity(quantity: int) -> None:
    assert check_quantity(quantity) == quantity


@given(st.one_of(st.floats(), st.text(), st.none(), st.booleans(), st.integers(max_value=0)))
def test_anything_else_is_not_a_quantity(quantity: object) -> None:
    with pytest.raises(InvalidQuantity):
        check_quantity(quantity)


@pytest.mark.parametrize("item_id", [1, 0, -3, "LAMP", "1"])
def test_ints_and_strings_are_item_ids(item_id: int | str) -> None:
    assert check_item_id(item_id) == item_id


@pytest.mark.parametrize("item_id", [True, None, 1.0, "", "   ", (1,), 2**63], ids=repr)
def test_bad_item_id_is_refused_with_its_value_in_the_message(item_id: object) -> None:
    with pytest.raises(InvalidItemId) as caught:
        check_item_id(item_id)

    assert repr(item_id) in str(caught.value)


def test_input_errors_are_value_errors_of_the_kit() -> None:
    assert issubclass(InvalidQuantity, OrderkitError)
    assert issubclass(InvalidQuantity, ValueError)
    assert issubclass(InvalidItemId, OrderkitError)
    assert issubclass(InvalidItemId, ValueError)
