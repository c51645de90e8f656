"""The unit-test exercise in a real JupyterLab: Run All draws the feedback scoreboard.

The test runs the student notebook, ``notebooks/10-exercise-unit-tests.ipynb``. To try
another version (the instructor's, with solutions), point ``ORDERKIT_EXERCISE_10`` at it:
it is served under the same name.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ROOT
from tests.browser.lab_page import last_output, open_notebook, run_all_cells
from tests.browser.lab_server import Lab

pytestmark = pytest.mark.browser

EXERCISE = "10-exercise-unit-tests.ipynb"
SOURCE = Path(os.environ.get("ORDERKIT_EXERCISE_10", ROOT / "notebooks" / EXERCISE))
SUMMARY = re.compile(r"; caught (\d+) of (\d+) bugs?")


@pytest.fixture
def scoreboard(page: Page, lab: Lab) -> Locator:
    """The notebook's last scoreboard, after Run All."""
    if not SOURCE.is_file():
        pytest.fail(
            f"{SOURCE} not found; make it with: orderkit release "
            f"classroom/source/{EXERCISE} --out notebooks"
        )
    shutil.copyfile(SOURCE, lab.root / EXERCISE)
    open_notebook(page, lab, EXERCISE)
    run_all_cells(page, EXERCISE)
    board = last_output(page, page.locator("table.orderkit-score"))
    expect(board, "Run All drew no scoreboard").to_be_visible()
    return board


def test_run_all_draws_a_scoreboard_of_the_bugs(scoreboard: Locator) -> None:
    summary = SUMMARY.search(scoreboard.inner_text())
    progress = scoreboard.locator(".widget-hprogress").filter(has_text="Bugs caught")
    bugs = scoreboard.locator("table.orderkit-score tr").filter(has=scoreboard.page.locator("td"))

    assert summary, f"no summary line in the scoreboard: {scoreboard.inner_text()!r}"
    caught, total = int(summary[1]), int(summary[2])
    assert total > 0, "the exercise has no bugs to catch"
    expect(progress).to_be_visible()
    expect(progress.locator(".progress-bar")).to_be_attached()  # 0 caught: zero width
    width = progress.locator(".progress-bar").evaluate("(bar) => parseFloat(bar.style.width)")
    assert width == pytest.approx(100 * caught / total), "the bar does not show caught / total"
    expect(bugs).to_have_count(total)
    expect(bugs.filter(has=scoreboard.page.locator(".caught"))).to_have_count(caught)
    expect(bugs.filter(has=scoreboard.page.locator(".missed"))).to_have_count(total - caught)
