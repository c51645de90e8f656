"""Lesson 00's stock panel in a real JupyterLab: the very first click on a fresh panel works.

The lesson's panel is untouched after Run All: item 1: 10, item 2: 5, no orders. Its form
must already have an item chosen, so that "Place order" orders it (it once sent None).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.lab_page import open_notebook, run_all_cells
from tests.browser.lab_server import Lab
from tests.browser.panel import last_panel, order_rows, readout

pytestmark = pytest.mark.browser

LESSON = "00-how-to-use-this-kit.ipynb"


def test_the_first_click_on_a_fresh_panel_orders_the_first_item(page: Page, lab: Lab) -> None:
    open_notebook(page, lab, LESSON)
    run_all_cells(page, LESSON)
    panel = last_panel(page)
    expect(panel, "Run All drew no stock panel").to_be_visible()
    expect(panel.get_by_label("Item", exact=True)).to_have_value("1")  # item 1, not an empty choice
    expect(order_rows(panel)).to_have_count(0)

    panel.get_by_role("button", name="Place order").click()

    expect(panel).to_contain_text("Order 1 placed: 1 of item 1.")
    expect(readout(panel, 1)).to_have_text("9")
    expect(order_rows(panel).last.locator("td")).to_have_text(["1", "1", "1"])
