"""The scoreboard in a real JupyterLab: three states a learner meets, photographed.

Each state is a hand-built :class:`CheckResult` (the unit tests' ``STATES``), saved as
JSON beside a small generated notebook that reads it back and leaves it as the cell's
value, so the scoreboard is drawn the way ``check()``'s result is (through
``show_scoreboards``) without running the grader, and no bug title is in the notebook's
own source. Screenshots go to ``test-results/browser/scoreboard-<state>.png`` (and
``-narrow.png``, in a narrow window).
"""

from __future__ import annotations

import json

import nbformat
import pytest
from playwright.sync_api import Page, expect

from orderkit.classroom.grading.results import CheckResult, to_data
from tests.browser.conftest import RESULTS
from tests.browser.lab_page import last_output, open_notebook, run_all_cells
from tests.browser.lab_server import Lab
from tests.unit.test_scoreboard import STATES

pytestmark = pytest.mark.browser

_DRAW = """\
from pathlib import Path
import json
from orderkit.classroom.grading.results import from_data
from orderkit.classroom.notebook.scoreboard import show_scoreboards

show_scoreboards(get_ipython())"""

# Whether each progress label shows its whole text (an ellipsis cuts it otherwise).
_LABELS_WHOLE = """(board) => [...board.querySelectorAll('.widget-hprogress .widget-label')].map(
    (label) => ({text: label.textContent, scroll: label.scrollWidth, client: label.clientWidth})
)"""
NARROW = 960  # px: half of a 1920 px screen, JupyterLab's file browser open
_NARROWER = """(width) => {
    const board = document.querySelector('.orderkit-scoreboard');
    return board !== null && board.getBoundingClientRect().width < width;
}"""


def _notebook(lab: Lab, state: str, result: CheckResult) -> str:
    """Write the state's JSON and a notebook that draws it; the notebook's name."""
    data = f"scoreboard-{state}.json"
    (lab.root / data).write_text(json.dumps(to_data(result)))
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# The scoreboard: {state}"),
        nbformat.v4.new_code_cell(_DRAW),
        nbformat.v4.new_code_cell(f"from_data(json.loads(Path({data!r}).read_text()))"),
    ]
    name = f"scoreboard-{state}.ipynb"
    nbformat.write(notebook, lab.root / name)
    return name


@pytest.mark.parametrize("state", STATES)
def test_the_scoreboard_reads_whole_and_keeps_uncaught_titles_hidden(
    page: Page, lab: Lab, state: str
) -> None:
    result = STATES[state]
    name = _notebook(lab, state, result)

    open_notebook(page, lab, name)
    run_all_cells(page, name)
    board = last_output(page, page.locator(".orderkit-scoreboard"))
    expect(board, "the result drew no scoreboard").to_be_visible()
    RESULTS.mkdir(parents=True, exist_ok=True)
    board.screenshot(path=RESULTS / f"scoreboard-{state}.png")

    wide = board.evaluate(_LABELS_WHOLE)
    page.set_viewport_size({"width": NARROW, "height": 1400})
    page.wait_for_function(_NARROWER, arg=NARROW)
    narrow = board.evaluate(_LABELS_WHOLE)
    board.screenshot(path=RESULTS / f"scoreboard-{state}-narrow.png")

    for labels in wide, narrow:
        assert [label["text"] for label in labels] == [
            f"Bugs caught: {result.caught} of {len(result.chaffs)}"
        ]
        assert all(label["scroll"] <= label["client"] for label in labels), labels
    text = board.inner_text()
    assert text.splitlines()[0] == result.summary()
    assert "Timeout" not in text
    content = page.content()
    for chaff in result.chaffs:
        if chaff.caught:
            assert chaff.title in text
        else:
            assert chaff.title not in content, f"an uncaught bug's title shows: {chaff.title}"
            assert chaff.hint in text
