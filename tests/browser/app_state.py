"""What JupyterLab (or the JupyterLite site) says about the open notebook, asked in the page.

The toolbar's "idle" shows about a second before the kernel session exists, and running
cells then opens a "Select Kernel" dialog; so every wait asks the application itself
(``window.jupyterapp``, exposed by ``--expose-app-in-browser`` or the site's
``exposeAppInBrowser``). Shared by ``tests/browser/lab_page.py`` and
``tests/lite/lite_page.py``.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page


def state_script(*, unrun_is_busy: bool) -> str:
    """A page function ``(path) => state``: the open document, its kernel, any dialog,
    whether a Run All finished, and how many code cells are still busy.

    ``unrun_is_busy``: a code cell with no execution count counts as still to run (right
    when Run All cleared every prompt first; wrong when some cells are left out on purpose).
    """
    unrun = "cell.model.executionCount === null\n                || " if unrun_is_busy else ""
    return f"""(path) => {{
    const app = window.jupyterapp;
    const widget = app && app.shell.currentWidget;
    const session = widget && widget.sessionContext && widget.sessionContext.session;
    const dialog = document.querySelector('.jp-Dialog');
    return {{
        app: !!app,
        open: widget && widget.context ? widget.context.path : null,
        kernel: session && session.kernel ? session.kernel.status : null,
        dialog: dialog ? dialog.innerText : null,
        runAll: window.__orderkitRunAll === undefined ? null : window.__orderkitRunAll,
        busyCells: widget && widget.content && widget.content.widgets
            ? widget.content.widgets.filter((cell) => cell.model.type === 'code' && (
                {unrun}cell.model.executionState === 'running'
                || (cell.promptNode && cell.promptNode.textContent.includes('*'))
              )).length
            : null,
    }};
}}"""


def kernel_idle_script(state: str) -> str:
    """A page function ``(path) => bool``: a dialog is open, or ``path`` has an idle kernel."""
    return f"""(path) => {{
    const state = ({state})(path);
    return state.dialog !== null || (state.open === path && state.kernel === 'idle');
}}"""


def run_all_done_script(state: str) -> str:
    """A page function ``(path) => bool``: a dialog is open, or the Run All started in the
    page (``window.__orderkitRunAll``) has ended and no code cell is busy on an idle kernel."""
    return f"""(path) => {{
    const state = ({state})(path);
    return state.dialog !== null
        || (state.runAll !== null && state.kernel === 'idle' && state.busyCells === 0);
}}"""


def read_state(page: Page, state: str, path: str) -> dict[str, Any]:
    """The state as a dict (or the browser's error), for failure messages and dialogs."""
    try:
        return dict(page.evaluate(state, path))
    except PlaywrightError as error:
        return {"error": error.message}
