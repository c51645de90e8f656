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

from tests.browser.app_state import kernel_idle_script, read_state, state_script

KERNEL_READY_WITHIN = 120_000  # ms; Pyodide and the preloaded wheels take ~10 s here
RUN_ALL_WITHIN = 300_000  # ms

_STATE = state_script(unrun_is_busy=False)

KERNEL_IDLE = kernel_idle_script(_STATE)

# "Restart Kernel and Run All", as a learner runs it from the Kernel menu; the restart's
# confirmation is accepted in run_all. Outputs are cleared first, so a stored prompt number
# cannot pass for a fresh run.
_RESTART_RUN_ALL = """async () => {
    const app = window.jupyterapp;
    window.__orderkitRunAll = undefined;
    window.__orderkitQuietSince = undefined;
    await app.commands.execute('notebook:clear-all-cell-outputs');
    app.commands.execute('notebook:restart-run-all').then(
        (restarted) => { window.__orderkitRunAll = restarted ? 'restarted' : 'not restarted'; },
        (error) => { window.__orderkitRunAll = 'failed: ' + error; },
    );
}"""

# Run All has ended: every code cell ran, or nothing has run for QUIET ms on an idle kernel
# (cells left unrun are then reported by the caller), or a dialog is open.
QUIET = 5_000  # ms
_RUN_ALL_DONE = f"""() => {{
    const dialog = document.querySelector('.jp-Dialog');
    if (dialog) return true;
    if (window.__orderkitRunAll === undefined) return false;
    const panel = window.jupyterapp.shell.currentWidget;
    const session = panel.sessionContext.session;
    const cells = panel.content.widgets.filter((cell) => cell.model.type === 'code');
    const running = cells.some((cell) => cell.model.executionState === 'running');
    if (!session || !session.kernel || session.kernel.status !== 'idle' || running) {{
        window.__orderkitQuietSince = undefined;
        return false;
    }}
    if (cells.every((cell) => cell.model.executionCount !== null)) return true;
    window.__orderkitQuietSince = window.__orderkitQuietSince || Date.now();
    return Date.now() - window.__orderkitQuietSince > {QUIET};
}}"""

# Whether the open notebook has changes not saved (JupyterLab's own test before it warns).
UNSAVED = """() => [
    window.jupyterapp.shell.currentWidget.context.model.dirty,
    window.jupyterapp.status.isDirty,
]"""

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
    unsaved_on_open: list[bool]  # the notebook's and the application's dirty flags
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
        page.wait_for_function(KERNEL_IDLE, arg=path, timeout=KERNEL_READY_WITHIN)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: no idle kernel within {KERNEL_READY_WITHIN / 1000:.0f} s; "
            f"JupyterLite says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "while opening")
    return time.monotonic() - started


def run_all(page: Page, base_url: str, path: str, *, reopen: bool = True) -> Run:
    """Open ``path`` (unless open already, ``reopen=False``), run "Restart Kernel and Run
    All", and return the cells with their new outputs."""
    ready = open_notebook(page, base_url, path) if reopen else 0.0
    unsaved = list(page.evaluate(UNSAVED))
    started = time.monotonic()
    page.evaluate(_RESTART_RUN_ALL)
    page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart" in "Restart Kernel?"
    page.locator(".jp-Dialog").wait_for(state="detached")
    try:
        page.wait_for_function(_RUN_ALL_DONE, timeout=RUN_ALL_WITHIN, polling=200)
    except PlaywrightError:
        raise AssertionError(
            f"{path}: Run All did not finish within {RUN_ALL_WITHIN / 1000:.0f} s; "
            f"JupyterLite says {json.dumps(state(page, path))}"
        ) from None
    _fail_on_dialog(page, path, "during Run All")
    cells = list(page.evaluate(_CELLS))
    return Run(
        cells=cells,
        unsaved_on_open=unsaved,
        kernel_ready=ready,
        run_all=time.monotonic() - started,
    )


def _fail_on_dialog(page: Page, path: str, when: str) -> None:
    dialog = state(page, path).get("dialog")
    if dialog:
        raise AssertionError(f"{path}: a dialog opened {when}: {dialog!r}")
