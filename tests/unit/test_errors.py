"""The exception hierarchy: one root, each error also the builtin it means."""

from __future__ import annotations

import pytest

from orderkit import (
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


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InsufficientStock, ValueError),
        (InvalidQuantity, ValueError),
        (InvalidItemId, ValueError),
        (UnknownItem, LookupError),
        (InvalidOrderId, ValueError),
        (UnknownOrder, LookupError),
        (OrderAlreadyCancelled, LookupError),
        (StoreError, Exception),
        (StoreBusy, StoreError),
        (StoreClosed, StoreError),
    ],
)
def test_every_error_is_an_orderkit_error_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, OrderkitError)
    assert issubclass(error, builtin)


def test_insufficient_stock_carries_its_context() -> None:
    error = InsufficientStock("LAMP", requested=6, available=5)

    assert (error.item_id, error.requested, error.available) == ("LAMP", 6, 5)
    assert "Insufficient stock" in str(error)
    assert "'LAMP'" in str(error)


def test_unknown_item_reads_without_keyerror_quotes() -> None:
    assert str(UnknownItem(9)) == "Unknown item 9: it has no stock record"
