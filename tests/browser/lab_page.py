"""Drive a notebook in JupyterLab through its own API (``--expose-app-in-browser``).

The toolbar's "idle" shows about a second before the kernel session exists, and running
cells then opens a "Select Kernel" dialog; so every wait here asks the application itself.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from tests.browser.app_state import (
    kernel_idle_script,
    read_state,
    run_all_done_script,
    state_script,
)
from tests.browser.lab_server import Lab

PAGE_READY_WITHIN = 60_000  # ms; loading the app and starting a kernel takes 3-6 s
RUN_ALL_WITHIN = 180_000  # ms; an exercise's check() runs every test against every bug

# Run All clears every prompt first: a cell without a number is still to run.
_STATE = state_script(unrun_is_busy=True)

_KERNEL_IDLE = kernel_idle_script(_STATE)

_RUN_ALL = """async () => {
    const app = window.jupyterapp;
    window.__orderkitRunAll = undefined;
    // Cleared first, so a stored prompt number cannot pass for a fresh run.
    await app.commands.execute('notebook:clear-all-cell-outputs');
    app.commands.execute('notebook:run-all-cells').then(
        // false when any cell raised, even one tagged raises-exception: judged below.
        (finished) => { window.__orderkitRunAll = finished ? 'finished' : 'had errors'; },
        (error) => { window.__orderkitRunAll = 'failed: ' + error; },
    );
}"""

_RUN_ALL_DONE = run_all_done_script(_STATE)

# Errors in cells not tagged raises-exception (JupyterLab's Run All goes past tagged ones,
# but still reports "not all fine"), with the cell's number and the error's last line.
_UNEXPECTED_ERRORS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    const found = [];
    cells.forEach((cell, index) => {
        if (cell.model.type !== 'code') return;
        const tags = cell.model.getMetadata('tags') || [];
        const outputs = cell.model.outputs.toJSON();
        for (const output of outputs) {
            if (output.output_type === 'error' && !tags.includes('raises-exception')) {
                found.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
            }
        }
        if (cell.model.executionCount === null) found.push(`cell ${index} did not run`);
    });
    return found;
}"""


def state(page: Page, path: str) -> dict[str, Any]:
    """What the application says: the open document, its kernel, any dialog, busy cells."""
    return read_state(page, _STATE, path)


def open_notebook(page: Page, lab: Lab, path: str) -> None:
    """Open ``path`` in a fresh workspace and wait until its kernel is really idle."""
    started = time.monotonic()
    # A workspace of its own, so no layout of an earlier test is restored.
    page.goto(lab.page_url(path, workspace=f"browser-test-{secrets.token_hex(4)}"))
    try:
        page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=PAGE_READY_WITHIN)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: no idle kernel within {PAGE_READY_WITHIN / 1000:.0f} s; "
            f"JupyterLab says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "while opening")
    print(f"{path}: page ready, kernel idle in {time.monotonic() - started:.1f} s")


def run_all_cells(page: Page, path: str) -> None:
    """Run every cell (Run > Run All Cells) and wait until the last one has finished."""
    started = time.monotonic()
    page.evaluate(_RUN_ALL)
    try:
        page.wait_for_function(_RUN_ALL_DONE, arg=path, timeout=RUN_ALL_WITHIN, polling=100)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: Run All did not finish within {RUN_ALL_WITHIN / 1000:.0f} s; "
            f"JupyterLab says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "during Run All")
    problems = page.evaluate(_UNEXPECTED_ERRORS)
    if problems:
        raise AssertionError(f"{path}: Run All went wrong:\n" + "\n".join(problems))
    print(f"{path}: Run All finished in {time.monotonic() - started:.1f} s")


def _fail_on_dialog(page: Page, path: str, when: str) -> None:
    dialog = state(page, path).get("dialog")
    if dialog:
        raise AssertionError(f"{path}: a dialog opened {when}: {dialog!r}")


def last_output(page: Page, containing: Locator) -> Locator:
    """The last cell output in the notebook that contains ``containing``."""
    return page.locator(".jp-Notebook .jp-OutputArea-output").filter(has=containing).last
