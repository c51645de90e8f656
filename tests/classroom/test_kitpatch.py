"""A bug loaded as the kit itself: only behaviour changes, and everything comes back."""

from __future__ import annotations

import inspect

import pytest

import orderkit
import orderkit.inventory
from orderkit import InventoryService, OrderService
from orderkit.classroom.bugs import kitpatch
from orderkit.classroom.bugs.errors import CatalogueError
from orderkit.classroom.bugs.kitpatch import Change

RESTOCK_SETS = (
    Change(
        "inventory.py",
        "        level = self._store.add_stock(item_id, quantity)\n",
        "        self._store.set_stock(item_id, quantity)\n        level = quantity\n",
    ),
)


def test_every_path_to_the_kit_reaches_the_loaded_implementation() -> None:
    made_before = InventoryService({2: 5})
    restock = made_before.restock

    with kitpatch.loaded(kitpatch.compiled(kitpatch.patched_sources(RESTOCK_SETS, "test"))):
        import orderkit.inventory as fresh

        assert InventoryService({2: 5}).restock(2, 3) == 3
        assert orderkit.InventoryService({2: 5}).restock(2, 3) == 3
        assert fresh.InventoryService({2: 5}).restock(2, 3) == 3
        assert restock(2, 3) == 3  # a bound method kept from before the run

    assert InventoryService({2: 5}).restock(2, 3) == 8
    assert restock(2, 3) == 6


def _face() -> tuple[object, ...]:
    """Everything about the kit's classes that is not behaviour."""
    return (
        InventoryService.__name__,
        InventoryService.__qualname__,
        InventoryService.__module__,
        InventoryService.__mro__,
        inspect.getsourcefile(InventoryService),
        inspect.getsource(InventoryService.restock),
        InventoryService.restock.__code__.co_firstlineno,
        InventoryService.restock,
        orderkit.inventory.DEFAULT_STOCK,
    )


def test_names_identities_and_source_stay_those_of_the_kit() -> None:
    before = _face()

    with kitpatch.loaded(kitpatch.compiled(kitpatch.patched_sources(RESTOCK_SETS, "test"))):
        during = _face()
        assert InventoryService is orderkit.inventory.InventoryService is orderkit.InventoryService
        assert orderkit.inventory.DEFAULT_STOCK is orderkit.DEFAULT_STOCK

    assert during == before


def test_super_calls_in_new_code_name_the_original_class() -> None:
    change = Change(
        "orders.py",
        "    def list_orders(self) -> list[Order]:",
        "    def __init_subclass__(cls) -> None:\n        super().__init_subclass__()\n\n"
        "    def list_orders(self) -> list[Order]:",
    )

    with kitpatch.loaded(kitpatch.compiled(kitpatch.patched_sources((change,), "test"))):

        class Till(OrderService):
            pass

        assert Till(InventoryService()).list_orders() == []

    assert "__init_subclass__" not in vars(OrderService)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (Change("inventory.py", "no such text", "x"), "occurs 0 time"),
        (Change("inventory.py", "self", "me"), "expected 1"),
        (Change("inventory.py", "def restock(", "def restock(("), "no longer compiles"),
        (Change("nothing.py", "a", "b"), "no module orderkit.nothing"),
        (Change("../setup.py", "a", "b"), "inside the kit"),
    ],
)
def test_a_change_that_does_not_fit_the_source_is_a_clear_error(
    change: Change, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        kitpatch.patched_sources((change,), "chaff 'x'")


def test_a_change_in_a_function_matches_only_inside_it_and_survives_edits_elsewhere() -> None:
    text = "def a():\n    return 1\n\n\nclass B:\n    def c(self):\n        return 1\n"
    change = Change("x.py", "return 1", "return 2", within="B.c")

    assert kitpatch._apply(change, text, "chaff 'x'").endswith("        return 2\n")
    assert "    return 1\n" in kitpatch._apply(change, text, "chaff 'x'")
    assert kitpatch._apply(change, "# moved\n" + text, "chaff 'x'").startswith("# moved\n")
    with pytest.raises(CatalogueError, match="occurs 2 time"):
        kitpatch._apply(Change("x.py", "return 1", "return 2"), text, "chaff 'x'")


def test_a_change_that_no_longer_fits_names_the_entry_function_and_nearest_text() -> None:
    wrong = Change(
        "stores/memory.py",
        "            available = self._stock.get(item_id,0)\n",
        "",
        within="MemoryStore.place_order",
    )

    with pytest.raises(CatalogueError) as error:
        kitpatch.patched_sources((wrong,), "chaff 'mine'")

    message = str(error.value)
    assert message.startswith("chaff 'mine', change 1: the text to find occurs 0 time(s)")
    assert "in MemoryStore.place_order (stores/memory.py)" in message
    assert "nearest (line" in message
    assert "available = self._stock.get(item_id, 0)" in message


@pytest.mark.parametrize(
    ("change", "listed"),
    [
        (
            Change("stores/memory.py", "x", "y", within="MemoryStore.order"),
            "MemoryStore.place_order",
        ),
        (Change("store/memory.py", "x", "y"), "stores/memory.py"),
        (Change("memory.txt", "x", "y"), "stores/memory.py"),
    ],
)
def test_an_unknown_function_or_file_lists_the_valid_ones(change: Change, listed: str) -> None:
    with pytest.raises(CatalogueError, match=listed):
        kitpatch.patched_sources((change,), "chaff 'mine'")


def test_the_kits_changes_name_their_functions_where_they_are_in_one() -> None:
    from orderkit.classroom import load

    changes = [c for i in load().implementations for c in i.changes]

    assert sum(bool(c.within) for c in changes) >= len(changes) * 3 // 4
