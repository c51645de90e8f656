"""Lesson 04's test lights in a real JupyterLab: a slider moved by keyboard changes a light.

After Run All, the shared inventory holds item 1: 6, item 2: 4, and the lights show the two
shared-state tests red, the two fixture-based tests green (the lesson's own cells say why).
Each lights run orders 2 units of item 1 (the shared test does), so only item 2 decides the
colour of ``test_order_beyond_stock_fails_and_changes_nothing()``: green at 5, red otherwise.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab_page import last_output, open_notebook, run_all_cells
from tests.browser.lab_server import Lab
from tests.browser.panel import last_panel, press_on_slider, readout

pytestmark = pytest.mark.browser

LESSON = "04-integration-tests.ipynb"
SHARED_ITEM_2 = "test_order_beyond_stock_fails_and_changes_nothing()"
FRESH = [
    "test_order_takes_its_stock(inventory, orders)",
    "test_order_beyond_stock_fails_and_changes_nothing(inventory, orders)",
]
GREEN = re.compile(r"\borderkit-green\b")
RED = re.compile(r"\borderkit-red\b")


def light(lights: Locator, label: str) -> Locator:
    return lights.locator(".orderkit-light").filter(
        has=lights.page.locator("code", has_text=re.compile(rf"^{re.escape(label)}$"))
    )


def test_a_slider_turns_a_shared_state_light_green_then_red(page: Page, lab: Lab) -> None:
    open_notebook(page, lab, LESSON)
    run_all_cells(page, LESSON)
    panel = last_panel(page)
    lights = last_output(page, page.locator(".orderkit-light"))
    expect(readout(panel, 2)).to_have_text("4")
    expect(light(lights, SHARED_ITEM_2)).to_have_class(RED)
    expect(light(lights, SHARED_ITEM_2)).to_contain_text("assert 4 == 5")
    expect(lights).to_contain_text("Run 2: 2 green, 2 red")

    # Three quick key presses, one run of the tests (debounced): item 2 ends at 5.
    press_on_slider(panel, 2, ["ArrowRight", "ArrowRight", "ArrowLeft"])

    expect(readout(panel, 2)).to_have_text("5")
    expect(light(lights, SHARED_ITEM_2)).to_have_class(GREEN)
    expect(lights).to_contain_text("Run 3: 3 green, 1 red")
    for label in FRESH:
        expect(light(lights, label)).to_have_class(GREEN)

    press_on_slider(panel, 2, ["ArrowLeft"])

    expect(light(lights, SHARED_ITEM_2)).to_have_class(RED)
    expect(light(lights, SHARED_ITEM_2)).to_contain_text("assert 4 == 5")
    expect(lights).to_contain_text("Run 4: 2 green, 2 red")
    for label in FRESH:
        expect(light(lights, label)).to_have_class(GREEN)
