"""Test lights, driven headlessly: move sliders, call the services, read the lights."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderkit import InventoryService, OrderService
from orderkit.lights import LightsError, TestLights
from orderkit.widgets import StockPanel

# A shop shared by the "shared" tests below, as lesson 04's shortcut shares one. The panel
# fixture opens a new one for each test of this module, so these tests stay independent.
# (Not an autouse fixture: the lights find the fixtures of the module their tests come
# from, as %%ipytest would, and an autouse one would reset the shop before every run.)
shop = InventoryService()
shop_orders = OrderService(shop)


@pytest.fixture
def panel() -> Iterator[StockPanel]:
    """A stock panel on a new shared shop."""
    global shop, shop_orders
    shop = InventoryService()
    shop_orders = OrderService(shop)
    opened = StockPanel(shop_orders)
    yield opened
    opened.close()


# -- the tests the lights run (pytest does not collect them: no test_ prefix here) --------
def shared_order_takes_its_stock() -> None:
    shop_orders.create_order(1, 2)

    assert shop.check_stock(1) == 8


def shared_item_2_has_five() -> None:
    assert shop.check_stock(2) == 5


@pytest.fixture
def inventory() -> InventoryService:
    return InventoryService()


def fresh_order_takes_its_stock(inventory: InventoryService) -> None:
    OrderService(inventory).create_order(1, 2)

    assert inventory.check_stock(1) == 8


def _named(name: str, test: object) -> object:
    test.__name__ = name  # type: ignore[attr-defined]
    return test


SHARED = _named("test_order_takes_its_stock", shared_order_takes_its_stock)
ITEM_2 = _named("test_item_2_has_five", shared_item_2_has_five)
FRESH = _named("test_order_takes_its_stock", fresh_order_takes_its_stock)


def lights_over(panel: StockPanel, *tests: object, **options: float) -> TestLights:
    return TestLights(tests, watch=panel, **options)  # type: ignore[arg-type]


# -- what the lights show ----------------------------------------------------------------
def test_a_light_per_test_green_when_it_passes(panel: StockPanel) -> None:
    lights = lights_over(panel, SHARED, FRESH)

    assert lights.colours == {
        "test_order_takes_its_stock()": "green",
        "test_order_takes_its_stock(inventory)": "green",
    }
    assert lights.runs == 1
    assert "Run 1: 2 green, 0 red" in lights.status.value


def test_moving_a_slider_turns_the_shared_test_red_and_leaves_the_fixture_test_green(
    panel: StockPanel,
) -> None:
    lights = lights_over(panel, SHARED, FRESH)

    panel.sliders[1].value = 3

    assert lights.runs == 2
    assert repr(lights) == (
        "● red   test_order_takes_its_stock() - assert 1 == 8\n"
        "● green test_order_takes_its_stock(inventory)"
    )
    assert "orderkit-red" in lights.children[0].value
    assert "assert 1 == 8" in lights.children[0].value
    assert "orderkit-green" in lights.children[1].value


def test_a_change_in_code_reruns_the_tests_too(panel: StockPanel) -> None:
    lights = lights_over(panel, ITEM_2)

    shop.set_stock(2, 4)
    assert lights.colours == {"test_item_2_has_five()": "red"}
    assert "assert 4 == 5" in lights.lights[0].message

    shop.restock(2, 1)
    assert lights.colours == {"test_item_2_has_five()": "green"}


def test_an_order_placed_with_the_panel_reruns_the_tests(panel: StockPanel) -> None:
    lights = lights_over(panel, ITEM_2)

    panel.item.value = 2
    panel.place.click()

    assert "Order 1 placed" in panel.message.value
    assert lights.runs == 3  # once at the start, then after the stock and after the order
    assert lights.colours == {"test_item_2_has_five()": "red"}


def test_the_tests_own_changes_do_not_start_another_run(panel: StockPanel) -> None:
    lights = lights_over(panel, SHARED)  # takes 2 units at every run

    panel.sliders[2].value = 1

    assert lights.runs == 2
    assert shop.check_stock(1) == 6
    assert panel.sliders[1].value == 6  # the panel saw the tests' orders


@pytest.mark.usefixtures("panel")
def test_lights_watching_an_order_service_hear_its_inventory_too() -> None:
    lights = TestLights([ITEM_2], watch=shop_orders)  # type: ignore[list-item]

    shop.set_stock(2, 9)

    assert lights.colours == {"test_item_2_has_five()": "red"}
    assert lights.runs == 2


@pytest.mark.usefixtures("panel")
def test_pytest_fixtures_and_parametrize_work() -> None:
    def test_tmp_path_is_a_folder(tmp_path: Path) -> None:
        assert tmp_path.is_dir()

    @pytest.mark.parametrize("quantity", [1, 20])
    def test_quantities_fit_in_stock(quantity: int) -> None:
        assert quantity <= shop.check_stock(1)

    lights = TestLights([test_tmp_path_is_a_folder, test_quantities_fit_in_stock], watch=shop)

    assert repr(lights) == (
        "● green test_tmp_path_is_a_folder(tmp_path)\n"
        "● red   test_quantities_fit_in_stock(quantity) - assert 20 <= 10"
    )


# -- nothing a test does reaches the caller ----------------------------------------------
def test_errors_in_tests_are_red_lights_with_the_reason() -> None:
    def test_raises() -> None:
        raise RuntimeError("boom")

    def test_exits() -> None:
        raise SystemExit(3)

    def test_needs_a_missing_fixture(no_such_fixture: object) -> None:
        pass

    lights = TestLights([test_raises, test_exits, test_needs_a_missing_fixture], watch=shop)

    assert [(light.colour, light.message) for light in lights.lights] == [
        ("red", "RuntimeError: boom"),
        ("red", "SystemExit: 3"),
        ("red", "in setup: fixture 'no_such_fixture' not found"),
    ]


def test_a_test_that_stops_pytest_turns_every_light_red() -> None:
    def test_stops_the_run() -> None:
        pytest.exit("enough")

    lights = TestLights([test_stops_the_run, ITEM_2], watch=shop)  # type: ignore[list-item]

    assert lights.colours == {"test_stops_the_run()": "red", "test_item_2_has_five()": "red"}
    assert lights.lights[1].message == "the run was stopped: Exit: enough"


def test_a_test_that_hangs_is_cut_off() -> None:
    def test_hangs() -> None:
        time.sleep(30)

    started = time.monotonic()
    lights = TestLights([test_hangs], watch=shop, timeout=0.5)

    assert time.monotonic() - started < 5
    assert lights.lights[0].colour == "red"
    assert "Timeout" in lights.lights[0].message


def test_the_message_of_a_red_light_shows_on_hover_escaped() -> None:
    def test_html_in_the_message() -> None:
        raise ValueError("<b>not bold</b>")

    lights = TestLights([test_html_in_the_message], watch=shop)

    assert 'title="ValueError: &lt;b&gt;not bold&lt;/b&gt;"' in lights.children[0].value
    assert "<b>not bold</b>" not in lights.children[0].value


# -- debouncing, in an event loop as in a kernel -------------------------------------------
def test_in_an_event_loop_a_burst_of_changes_makes_one_run(panel: StockPanel) -> None:
    async def drag() -> TestLights:
        lights = lights_over(panel, ITEM_2, debounce=0.05)
        for level in range(5, -1, -1):  # a drag of the item 2 slider from 5 down to 0
            panel.sliders[2].value = level
        assert lights.runs == 1  # not yet: the run waits for the drag to stop
        await asyncio.sleep(0.3)
        return lights

    lights = asyncio.run(drag())

    assert lights.runs == 2
    assert lights.colours == {"test_item_2_has_five()": "red"}
    assert "assert 0 == 5" in lights.lights[0].message


def test_flush_runs_a_waiting_change_at_once(panel: StockPanel) -> None:
    async def change_then_flush() -> TestLights:
        lights = lights_over(panel, ITEM_2, debounce=60)
        panel.sliders[2].value = 2
        lights.flush()
        lights.flush()  # nothing waits any more: no second run
        return lights

    lights = asyncio.run(change_then_flush())

    assert lights.runs == 2
    assert lights.colours == {"test_item_2_has_five()": "red"}


def test_a_change_from_another_thread_runs_in_the_loop(panel: StockPanel) -> None:
    async def change_in_a_thread() -> TestLights:
        lights = lights_over(panel, ITEM_2, debounce=0.05)
        await asyncio.to_thread(shop.set_stock, 2, 1)
        await asyncio.sleep(0.3)
        return lights

    lights = asyncio.run(change_in_a_thread())

    assert lights.runs == 2
    assert lights.colours == {"test_item_2_has_five()": "red"}


# -- set-up and tear-down ------------------------------------------------------------------
def test_closed_lights_stop_watching(panel: StockPanel) -> None:
    lights = lights_over(panel, ITEM_2)
    lights.close()

    shop.set_stock(2, 1)

    assert lights.runs == 1


@pytest.mark.parametrize(
    ("tests", "watch", "message"),
    [
        ([], shop, "at least one test"),
        (["test_text"], shop, "not a test function"),
        ([len], shop, "not a test function"),
        ([SHARED, SHARED], shop, "two tests with the same name and fixtures"),
        ([SHARED], "shop", "not str"),
        ([SHARED], [], "need something to watch"),
    ],
)
def test_bad_arguments_are_refused(tests: list[object], watch: object, message: str) -> None:
    with pytest.raises(LightsError, match=message):
        TestLights(tests, watch=watch)  # type: ignore[arg-type]


def test_the_notebook_text_shows_every_light_in_full(panel: StockPanel) -> None:
    lights = lights_over(panel, SHARED, ITEM_2, FRESH)

    bundle = lights._repr_mimebundle_()

    assert bundle["text/plain"] == repr(lights)
    assert len(repr(lights)) > 110  # where ipywidgets would cut it
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_pytest_does_not_collect_the_widget_class() -> None:
    assert TestLights.__test__ is False
