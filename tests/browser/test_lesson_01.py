"""Lesson 01's stock panel in a real JupyterLab: keyboard, form and button, as a learner uses them.

After Run All, the lesson leaves the panel at item 1: 9 and item 2: 0, with four orders in
its log (the lesson's own cells place them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab_page import open_notebook, run_all_cells
from tests.browser.lab_server import Lab
from tests.browser.panel import last_panel, order_rows, place_order, press_on_slider, readout

pytestmark = pytest.mark.browser

LESSON = "01-meet-the-services.ipynb"


@pytest.fixture
def panel(page: Page, lab: Lab) -> Locator:
    """The lesson's last stock panel, live, after Run All."""
    open_notebook(page, lab, LESSON)
    run_all_cells(page, LESSON)
    panel = last_panel(page)
    expect(panel, "Run All drew no stock panel").to_be_visible()
    return panel


def test_keyboard_sets_the_stock_and_an_order_takes_from_it(panel: Locator) -> None:
    expect(readout(panel, 2)).to_have_text("0")

    press_on_slider(panel, 2, ["ArrowRight"] * 4 + ["ArrowLeft"])

    expect(readout(panel, 2)).to_have_text("3")
    expect(panel).to_contain_text("Item 2 stock set to 3.")

    place_order(panel, item=2, quantity=2)

    expect(panel).to_contain_text("Order 5 placed: 2 of item 2.")
    expect(readout(panel, 2)).to_have_text("1")
    expect(order_rows(panel).last.locator("td")).to_have_text(["5", "2", "2"])


def test_an_order_larger_than_the_stock_is_refused_and_changes_nothing(panel: Locator) -> None:
    place_order(panel, item=1, quantity=50)

    expect(panel).to_contain_text("Insufficient stock for item 1: requested 50, available 9")
    expect(readout(panel, 1)).to_have_text("9")
    expect(order_rows(panel)).to_have_count(4)
    expect(order_rows(panel).last.locator("td")).to_have_text(["4", "2", "3"])
