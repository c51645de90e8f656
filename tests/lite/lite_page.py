"""Drive a notebook in the JupyterLite site through the application's own API.

The site's ``jupyter-lite.json`` is served to the test browser with
``exposeAppInBrowser`` set, so ``window.jupyterapp`` is there to ask; the published site
is not changed. As in ``tests/browser/lab_page.py``, every wait asks the application (the
toolbar's "idle" shows before the kernel session exists).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.app_state import (
    kernel_idle_script,
    read_state,
    run_all_done_script,
    state_script,
)

KERNEL_READY_WITHIN = 120_000  # ms; Pyodide and the preloaded wheels take ~10 s here
RUN_ALL_WITHIN = 300_000  # ms

# Cells run one by one, some left out on purpose: only running cells are busy.
_STATE = state_script(unrun_is_busy=False)

_KERNEL_IDLE = kernel_idle_script(_STATE)

# One cell after the other, each sent when the one before has finished, as a learner
# pressing Shift+Enter does: Run All sends every cell at once, and after an error (even in a
# cell tagged raises-exception) the Pyodide kernel drops the cells still queued.
_RUN_ALL = """async (skip) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    window.__orderkitRunAll = undefined;
    await app.commands.execute('notebook:clear-all-cell-outputs');
    (async () => {
        const count = panel.content.widgets.length;
        for (let index = 0; index < count; index++) {
            const source = panel.content.widgets[index].model.sharedModel.getSource();
            if (skip !== null && source.includes(skip)) continue;
            panel.content.activeCellIndex = index;
            await app.commands.execute('notebook:run-cell');
        }
    })().then(
        () => { window.__orderkitRunAll = 'finished'; },
        (error) => { window.__orderkitRunAll = 'failed: ' + error; },
    );
}"""

_RUN_ALL_DONE = run_all_done_script(_STATE)

_CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell) => ({
    type: cell.model.type,
    source: cell.model.sharedModel.getSource(),
    tags: cell.model.getMetadata('tags') || [],
    executionCount: cell.model.type === 'code' ? cell.model.executionCount : null,
    outputs: cell.model.type === 'code' ? cell.model.outputs.toJSON() : [],
}))"""


@dataclass(frozen=True)
class Run:
    """What a notebook did in the browser: its cells as JSON, and how long it took."""

    cells: list[dict[str, Any]]
    kernel_ready: float  # seconds from opening the page to an idle kernel
    run_all: float  # seconds for Run All


def state(page: Page, path: str) -> dict[str, Any]:
    """What the application says: the open document, its kernel, any dialog, busy cells."""
    return read_state(page, _STATE, path)


def open_notebook(page: Page, base_url: str, path: str) -> float:
    """Open ``path`` (e.g. ``notebooks/00-....ipynb``); seconds until its kernel is idle."""
    started = time.monotonic()
    page.goto(f"{base_url}lab/index.html?path={quote(path)}")
    try:
        page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=KERNEL_READY_WITHIN)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: no idle kernel within {KERNEL_READY_WITHIN / 1000:.0f} s; "
            f"JupyterLite says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "while opening")
    return time.monotonic() - started


def run_all(page: Page, base_url: str, path: str, skip: str | None = None) -> Run:
    """Open ``path``, run every cell, and return the cells with their new outputs.

    Cells whose source contains ``skip`` are left out (they stay unrun).
    """
    ready = open_notebook(page, base_url, path)
    started = time.monotonic()
    page.evaluate(_RUN_ALL, skip)
    try:
        page.wait_for_function(_RUN_ALL_DONE, arg=path, timeout=RUN_ALL_WITHIN, polling=200)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: Run All did not finish within {RUN_ALL_WITHIN / 1000:.0f} s; "
            f"JupyterLite says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "during Run All")
    cells = list(page.evaluate(_CELLS))
    return Run(cells=cells, kernel_ready=ready, run_all=time.monotonic() - started)


def _fail_on_dialog(page: Page, path: str, when: str) -> None:
    dialog = state(page, path).get("dialog")
    if dialog:
        raise AssertionError(f"{path}: a dialog opened {when}: {dialog!r}")
