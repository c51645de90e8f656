"""The stock panel, driven headlessly: set .value, click buttons, read what it shows."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from orderkit import InventoryService, OrderService
from orderkit.widgets import StockPanel


@pytest.fixture
def panel() -> Iterator[StockPanel]:
    opened = StockPanel(OrderService(InventoryService()))
    yield opened
    opened.close()


def _order(panel: StockPanel, item_id: int | str, quantity: int) -> None:
    panel.item.value = item_id
    panel.quantity.value = quantity
    panel.place.click()


def test_the_panel_shows_one_slider_per_item_at_its_stock(panel: StockPanel) -> None:
    assert {item: slider.value for item, slider in panel.sliders.items()} == {1: 10, 2: 5}
    assert panel.item.options == (("1", 1), ("2", 2))
    assert "No orders yet" in panel.order_log.value


def test_moving_a_slider_sets_the_stock(panel: StockPanel) -> None:
    panel.sliders[1].value = 3

    assert panel.inventory.check_stock(1) == 3
    assert "stock set to 3" in panel.message.value


def test_moving_a_slider_to_zero_empties_the_item(panel: StockPanel) -> None:
    panel.sliders[2].value = 0

    assert panel.inventory.check_stock(2) == 0


def test_placing_an_order_takes_stock_and_logs_it(panel: StockPanel) -> None:
    _order(panel, 2, 2)

    assert panel.inventory.check_stock(2) == 3
    assert panel.sliders[2].value == 3
    assert "Order 1 placed" in panel.message.value
    assert "<td>1</td><td>2</td><td>2</td>" in panel.order_log.value
    assert panel.orders.list_orders() == [{"order_id": 1, "item_id": 2, "quantity": 2}]


def test_a_too_large_order_shows_why_and_changes_nothing(panel: StockPanel) -> None:
    _order(panel, 2, 6)

    assert "Insufficient stock" in panel.message.value
    assert "available 5" in panel.message.value
    assert panel.inventory.check_stock(2) == 5
    assert panel.sliders[2].value == 5
    assert panel.orders.list_orders() == []
    assert "No orders yet" in panel.order_log.value


def test_a_change_made_in_code_shows_in_the_panel(panel: StockPanel) -> None:
    panel.inventory.set_stock(1, 7)
    panel.orders.create_order(1, 2)

    assert panel.sliders[1].value == 5
    assert "<td>1</td><td>1</td><td>2</td>" in panel.order_log.value


def test_stock_above_the_slider_range_widens_the_slider(panel: StockPanel) -> None:
    panel.inventory.restock(1, 100)

    assert panel.sliders[1].value == 110
    assert panel.sliders[1].max >= 110


def test_a_new_item_gets_a_slider_and_can_be_ordered(panel: StockPanel) -> None:
    panel.inventory.restock("LAMP", 4)
    _order(panel, "LAMP", 4)

    assert panel.sliders["LAMP"].value == 0
    assert "Order 1 placed" in panel.message.value


def test_mirroring_a_code_change_does_not_write_it_back(panel: StockPanel) -> None:
    heard: list[tuple[object, int]] = []
    panel.inventory.subscribe(lambda item, level: heard.append((item, level)))

    panel.inventory.set_stock(1, 4)

    assert heard == [(1, 4)]  # the slider moved, but did not call set_stock again


def test_a_closed_panel_stops_listening(panel: StockPanel) -> None:
    panel.close()
    panel.inventory.set_stock(1, 1)

    assert panel.sliders[1].value == 10


def test_the_text_repr_is_short_and_stable(panel: StockPanel) -> None:
    assert repr(panel) == "StockPanel(stock={1: 10, 2: 5}, orders=0)"


def test_a_fresh_panel_has_the_first_item_chosen(panel: StockPanel) -> None:
    assert panel.item.value == 1


def test_the_first_click_on_a_fresh_panel_places_an_order(panel: StockPanel) -> None:
    panel.place.click()

    assert "Order 1 placed: 1 of item 1." in panel.message.value
    assert panel.inventory.check_stock(1) == 9


def test_a_new_item_keeps_the_item_last_chosen(panel: StockPanel) -> None:
    panel.item.value = 2

    panel.inventory.set_stock("LAMP", 3)

    assert panel.item.options == (("1", 1), ("2", 2), ("LAMP", "LAMP"))
    assert panel.item.value == 2


def test_a_panel_over_an_empty_inventory_chooses_the_first_item_that_appears() -> None:
    empty = StockPanel(OrderService(InventoryService({})))
    assert empty.item.value is None
    assert empty.place.disabled

    empty.inventory.set_stock("LAMP", 2)
    empty.place.click()

    assert empty.item.value == "LAMP"
    assert "Order 1 placed: 1 of item 'LAMP'." in html.unescape(empty.message.value)
    empty.close()
