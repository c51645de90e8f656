"""Find and use the parts of a stock panel (orderkit.widgets.StockPanel) in JupyterLab."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

from tests.browser.lab_page import last_output


def last_panel(page: Page) -> Locator:
    """The last cell output that holds a stock panel."""
    return last_output(page, page.get_by_role("button", name="Place order"))


def slider(panel: Locator, item: int) -> Locator:
    label = panel.page.locator(".widget-label", has_text=re.compile(rf"^Item {item}$"))
    return panel.locator(".widget-slider").filter(has=label)


def readout(panel: Locator, item: int) -> Locator:
    return slider(panel, item).locator(".widget-readout")


def press_on_slider(panel: Locator, item: int, keys: list[str]) -> None:
    """Move a slider with the keyboard, as a learner does: focus its handle, press keys."""
    handle = slider(panel, item).locator(".noUi-handle")
    handle.focus()
    for key in keys:
        handle.press(key)


def order_rows(panel: Locator) -> Locator:
    """The order log's rows, header excluded."""
    return panel.locator("table tr").filter(has=panel.page.locator("td"))


def place_order(panel: Locator, item: int, quantity: int) -> None:
    """Fill in the form as a learner does, then click Place order."""
    panel.get_by_label("Item", exact=True).select_option(label=str(item))
    panel.get_by_label("Quantity").fill(str(quantity))
    panel.get_by_label("Quantity").press("Tab")  # the box sends its value on change
    panel.get_by_role("button", name="Place order").click()
