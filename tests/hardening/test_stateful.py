"""Any sequence of calls, valid or not, keeps the services equal to a dict-and-list model.

Hypothesis drives InventoryService and OrderService through random sequences of public
calls on each store, and after every step compares them with a model: a dict of stock
levels (in the order items were first stocked) and a list of orders. Invalid calls must
raise an ``OrderkitError`` and change nothing. On SQLite a rule also closes the store and
reopens the same file. The number of examples run is shown at the end of the pytest run
(see ``conftest.py`` in this folder).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orderkit import (
    DEFAULT_STOCK,
    MAX_QUANTITY,
    InsufficientStock,
    InvalidItemId,
    InvalidQuantity,
    InventoryService,
    ItemId,
    MemoryStore,
    Order,
    OrderkitError,
    OrderService,
    SqliteStore,
    StockStore,
    StoreClosed,
    UnknownItem,
)

SETTINGS = settings(
    max_examples=150,
    stateful_step_count=30,
    derandomize=True,  # the same examples on every run and every machine
    database=None,
    deadline=None,  # a SQLite commit can stall on a busy machine; speed is not tested here
    suppress_health_check=[HealthCheck.too_slow],
)

# This test is about behaviour, not durability: on a disk the fsyncs of opening and
# closing a SQLite file per example make it three times slower, so use RAM where there is.
RAM_FOLDER = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

# 1 and "1" are different items; the 64-bit ends, odd strings and NUL must round-trip.
NAMED_ITEM_IDS: list[ItemId] = [1, 2, "1", "LAMP", "lamp", " LAMP", "Ünïcödé", "A\x00B"]
item_ids = st.one_of(
    st.sampled_from(NAMED_ITEM_IDS),
    st.integers(min_value=-2, max_value=4),
    st.sampled_from([-(2**63), 2**63 - 1]),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=3).filter(str.strip),
)
quantities = st.one_of(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=MAX_QUANTITY),
    st.just(MAX_QUANTITY),
)
levels = st.one_of(st.just(0), quantities)  # what set_stock and an opening stock take
opening_stocks = st.one_of(st.none(), st.dictionaries(item_ids, levels, max_size=3))

BAD_QUANTITIES: list[Any] = [0, -1, 1.5, 2.0, "2", None, True, False, MAX_QUANTITY + 1, [1]]
BAD_LEVELS = [quantity for quantity in BAD_QUANTITIES if quantity != 0 or quantity is False]
BAD_ITEM_IDS: list[Any] = [None, 1.0, "", "  ", (1,), True, 2**63, -(2**63) - 1, b"LAMP"]
bad_opening_stocks = st.one_of(
    st.sampled_from([[(1, 10)], "LAMP", 5]),  # not a mapping at all
    st.builds(
        lambda item_id, level: {"LAMP": 10, item_id: level}, st.sampled_from(BAD_ITEM_IDS), levels
    ),
    st.builds(lambda level: {"LAMP": 1, 2: level}, st.sampled_from(BAD_LEVELS)),
)

QUANTITY_CALLS = ["decrement_stock", "restock", "set_stock", "create_order"]
ITEM_CALLS = ["check_stock", *QUANTITY_CALLS]


class ServicesMachine(RuleBasedStateMachine):
    """The two services on one store, next to a model of what they should hold."""

    kind: ClassVar[str]
    examples: ClassVar[int] = 0
    steps: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        type(self).examples += 1
        self._folder = tempfile.TemporaryDirectory(prefix="orderkit-stateful-", dir=RAM_FOLDER)
        self.path = Path(self._folder.name) / "shop.db"
        self.opening: dict[ItemId, int] | None = None
        self.stock: dict[ItemId, int] = {}
        self.orders: list[Order] = []
        self.store: StockStore | None = None

    # -- set-up and the model's comparison --------------------------------------------

    def _open_services(self, store: StockStore, opening: dict[ItemId, int] | None) -> None:
        self.store = store
        self.inventory = InventoryService(opening, store=store)
        self.order_service = OrderService(self.inventory)
        if not self.stock:  # the opening stock goes only into an empty store
            self.stock.update(DEFAULT_STOCK if opening is None else opening)

    def _new_store(self) -> StockStore:
        return MemoryStore() if self.kind == "memory" else SqliteStore(self.path)

    @initialize(opening=opening_stocks)
    def open_store(self, opening: dict[ItemId, int] | None) -> None:
        self.opening = opening
        self._open_services(self._new_store(), opening)

    def teardown(self) -> None:
        if self.store is not None:
            self.store.close()
        self._folder.cleanup()

    @invariant()
    def services_equal_the_model(self) -> None:
        type(self).steps += 1
        # items() keeps order: both stores must list items in the order first stocked.
        assert list(self.inventory.snapshot().items()) == list(self.stock.items())
        assert self.order_service.list_orders() == self.orders

    # -- valid calls ------------------------------------------------------------------

    @rule(item_id=item_ids)
    def check_stock(self, item_id: ItemId) -> None:
        assert self.inventory.check_stock(item_id) == self.stock.get(item_id, 0)

    @rule(item_id=item_ids, quantity=quantities)
    def decrement_stock(self, item_id: ItemId, quantity: int) -> None:
        if item_id not in self.stock:
            with pytest.raises(UnknownItem) as unknown:
                self.inventory.decrement_stock(item_id, quantity)
            assert unknown.value.item_id == item_id
        elif self.stock[item_id] < quantity:
            with pytest.raises(InsufficientStock) as short:
                self.inventory.decrement_stock(item_id, quantity)
            assert (short.value.item_id, short.value.requested, short.value.available) == (
                item_id,
                quantity,
                self.stock[item_id],
            )
        else:
            self.stock[item_id] -= quantity
            assert self.inventory.decrement_stock(item_id, quantity) == self.stock[item_id]

    @rule(item_id=item_ids, level=levels)
    def set_stock(self, item_id: ItemId, level: int) -> None:
        self.inventory.set_stock(item_id, level)
        self.stock[item_id] = level

    @rule(item_id=item_ids, quantity=quantities)
    def restock(self, item_id: ItemId, quantity: int) -> None:
        level = self.stock.get(item_id, 0) + quantity
        if level > MAX_QUANTITY:
            with pytest.raises(InvalidQuantity, match="would pass"):
                self.inventory.restock(item_id, quantity)
        else:
            assert self.inventory.restock(item_id, quantity) == level
            self.stock[item_id] = level

    @rule(item_id=item_ids, quantity=quantities)
    def create_order(self, item_id: ItemId, quantity: int) -> None:
        available = self.stock.get(item_id, 0)  # never stocked counts as 0, as in the tutorial
        if available < quantity:
            with pytest.raises(InsufficientStock, match="Insufficient stock") as short:
                self.order_service.create_order(item_id, quantity)
            assert (short.value.item_id, short.value.requested, short.value.available) == (
                item_id,
                quantity,
                available,
            )
            return
        order: Order = {"order_id": len(self.orders) + 1, "item_id": item_id, "quantity": quantity}
        assert self.order_service.create_order(item_id, quantity) == order
        self.stock[item_id] = available - quantity
        self.orders.append(order)

    @rule()
    def results_are_copies(self) -> None:
        snapshot = self.inventory.snapshot()
        snapshot["SCRIBBLE"] = 1
        for order in self.order_service.list_orders():
            order["quantity"] = -1
        # The invariant, run next, sees that the services did not change.

    # -- invalid calls: an OrderkitError, and nothing changes -------------------------

    def _call(self, name: str, item_id: Any, quantity: Any) -> object:
        if name == "check_stock":
            return self.inventory.check_stock(item_id)
        if name == "create_order":
            return self.order_service.create_order(item_id, quantity)
        method = getattr(self.inventory, name)
        return method(item_id, quantity)

    @rule(name=st.sampled_from(QUANTITY_CALLS), item_id=item_ids, data=st.data())
    def call_with_a_bad_quantity(self, name: str, item_id: ItemId, data: st.DataObject) -> None:
        bad = data.draw(st.sampled_from(BAD_LEVELS if name == "set_stock" else BAD_QUANTITIES))
        with pytest.raises(InvalidQuantity, match="Invalid quantity") as caught:
            self._call(name, item_id, bad)
        assert caught.value.quantity is bad

    @rule(name=st.sampled_from(ITEM_CALLS), item_id=st.sampled_from(BAD_ITEM_IDS), level=levels)
    def call_with_a_bad_item_id(self, name: str, item_id: Any, level: int) -> None:
        quantity = max(level, 1)
        with pytest.raises(InvalidItemId, match="Invalid item id") as caught:
            self._call(name, item_id, quantity)
        assert caught.value.item_id is item_id

    @rule(
        name=st.sampled_from(QUANTITY_CALLS),
        item_id=st.sampled_from(BAD_ITEM_IDS),
        quantity=st.sampled_from(BAD_LEVELS),
    )
    def call_with_everything_bad(self, name: str, item_id: Any, quantity: Any) -> None:
        with pytest.raises(OrderkitError) as caught:
            self._call(name, item_id, quantity)
        assert isinstance(caught.value, (InvalidItemId, InvalidQuantity))

    # -- new services, and a reopened file --------------------------------------------

    @rule(opening=opening_stocks)
    def new_services_on_the_same_store(self, opening: dict[ItemId, int] | None) -> None:
        assert self.store is not None
        self._open_services(self.store, opening)

    @rule(opening=bad_opening_stocks)
    def new_services_with_a_bad_opening_stock(self, opening: Any) -> None:
        assert self.store is not None
        with pytest.raises((InvalidItemId, InvalidQuantity)):
            InventoryService(opening, store=self.store)

    @precondition(lambda self: self.kind == "sqlite")
    @rule()
    def close_and_reopen_the_file(self) -> None:
        assert self.store is not None
        self.store.close()
        with pytest.raises(StoreClosed):
            self.inventory.check_stock(1)
        with pytest.raises(StoreClosed):
            self.order_service.create_order(1, 1)

        self._open_services(SqliteStore(self.path), self.opening)


class MemoryMachine(ServicesMachine):
    kind = "memory"


class SqliteMachine(ServicesMachine):
    kind = "sqlite"


@pytest.mark.slow
@pytest.mark.parametrize("machine", [MemoryMachine, SqliteMachine], ids=["memory", "sqlite"])
def test_services_always_equal_a_dict_and_list_model(
    machine: type[ServicesMachine], record_property: Callable[[str, object], None]
) -> None:
    machine.examples = machine.steps = 0

    run_state_machine_as_test(machine, settings=SETTINGS)

    record_property("hypothesis", f"{machine.examples} examples, {machine.steps} checked steps")
