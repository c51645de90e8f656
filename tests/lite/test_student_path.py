"""The site as a student meets it: the way in, Run All, the links, kernels that go away.

Each test starts from a fresh browser profile (nothing saved, no workspace), as a student
opening the site for the first time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ROOT
from tests.lite.lite_page import KERNEL_IDLE, open_notebook, run_all

pytestmark = pytest.mark.browser

LESSON_00 = "notebooks/00-how-to-use-this-kit.ipynb"
# A markdown link: [text](target), target up to a space, a closing parenthesis or a '#'.
LINK = re.compile(r"\]\(([^)\s#]+)")


def _site_notebooks(site: Path) -> list[Path]:
    return sorted((site / "files" / "notebooks").glob("*.ipynb"))


def _links(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return [
        target
        for cell in cells
        if cell["cell_type"] == "markdown"
        for target in LINK.findall("".join(cell["source"]))
    ]


_KERNELS = """async () => {
    const kernels = window.jupyterapp.serviceManager.kernels;
    await kernels.refreshRunning();
    return Array.from(kernels.running()).length;
}"""


def test_the_root_opens_lesson_00_which_says_how_the_site_works_and_closing_it_stops_its_kernel(
    page: Page, base_url: str
) -> None:
    page.goto(base_url)
    page.wait_for_function(KERNEL_IDLE, arg=LESSON_00, timeout=120_000)

    text = page.locator(".jp-NotebookPanel:visible .jp-MarkdownOutput").all_inner_texts()
    intro = next(block for block in text if "read this first" in block)
    for words in ("20 seconds", "this browser's storage", "Ctrl+S", "File → Download"):
        assert words in intro, f"lesson 00's copy does not say {words!r}"
    assert page.evaluate(_KERNELS) == 1

    page.evaluate("() => window.jupyterapp.commands.execute('application:close')")

    page.wait_for_function(f"async () => ({_KERNELS})() === 0", timeout=30_000)


def test_every_link_of_every_notebook_resolves_in_the_site(site: Path) -> None:
    """Links into the site are served and listed; only documentation lies outside it."""
    outside, missing = set(), []
    for notebook in _site_notebooks(site):
        listing = json.loads((site / "api" / "contents" / "notebooks" / "all.json").read_text())
        listed = {item["name"] for item in listing["content"]}
        for target in _links(notebook):
            if target.startswith(("https://", "http://")):
                outside.add(target)
            elif not (notebook.parent / target).is_file() or target not in listed:
                missing.append(f"{notebook.name} -> {target}")

    assert missing == []
    assert all(url.startswith("https://") for url in outside), outside


@pytest.mark.parametrize(
    "exercise", ["10-exercise-unit-tests", "11-exercise-integration-tests", "12-test-first"]
)
def test_the_contract_link_opens_the_contract(page: Page, base_url: str, exercise: str) -> None:
    page.goto(f"{base_url}lab/index.html?path=notebooks/{exercise}.ipynb")  # no need to wait
    link = page.locator('.jp-MarkdownOutput a[href$="CONTRACT.md"]').first
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_function(
        """() => {
            const widget = window.jupyterapp.shell.currentWidget;
            return !!widget && !!widget.context && widget.context.path === 'notebooks/CONTRACT.md'
                && widget.context.isReady;
        }"""
    )

    shown = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toString()")
    assert shown == (ROOT / "notebooks" / "CONTRACT.md").read_text()


_EDIT_CELL = """([index, source]) => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    cells.filter((cell) => cell.model.type === 'code')[index].model.sharedModel.setSource(source);
}"""


def test_run_all_stops_at_an_error_in_a_cell_not_tagged_raises_exception(
    page: Page, base_url: str
) -> None:
    """As ipykernel does: the cells after an unexpected error are not run."""
    open_notebook(page, base_url, LESSON_00)
    page.evaluate(_EDIT_CELL, [1, "1 / 0"])  # lesson 00's second code cell, `2 + 3`

    run = run_all(page, base_url, LESSON_00, reopen=False)

    code = [cell for cell in run.cells if cell["type"] == "code"]
    ran = [cell["executionCount"] is not None for cell in code]
    assert ran[:2] == [True, True]
    assert "ZeroDivisionError" in code[1]["outputs"][-1]["ename"]
    assert not any(ran[2:]), "Run All went on after an error in an untagged cell"


FOUR_LESSONS = [
    LESSON_00,
    "notebooks/01-meet-the-services.ipynb",
    "notebooks/02-first-unit-tests.ipynb",
    "notebooks/03-test-doubles.ipynb",
]
# Not awaited: the tabs matter here, not the kernels they start on this first visit.
_OPEN = "(path) => { void window.jupyterapp.commands.execute('docmanager:open', {path}); }"
_PANELS = """() => Array.from(window.jupyterapp.shell.widgets('main'))
    .filter((widget) => widget.sessionContext)
    .map((panel) => ({
        id: panel.id,
        path: panel.context.path,
        front: panel === window.jupyterapp.shell.currentWidget,
        kernel: panel.sessionContext.session && panel.sessionContext.session.kernel
            ? panel.sessionContext.session.kernel.status : null,
    }))"""


def test_a_student_returning_to_four_open_lessons_waits_for_one_kernel(
    page: Page, base_url: str
) -> None:
    """The restored tabs are all there; only the one in front starts its kernel, the
    others when brought to the front (benchmarks/bench_lite_return.py has the figures)."""
    page.goto(f"{base_url}lab/index.html")
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    page.evaluate("() => window.jupyterapp.restored")
    for path in FOUR_LESSONS:
        page.evaluate(_OPEN, path)
    page.wait_for_function(f"() => ({_PANELS})().length === 4")
    page.wait_for_timeout(2_000)  # JupyterLab saves the workspace on a short debounce

    page.goto(f"{base_url}lab/index.html")
    page.wait_for_function(
        f"() => !!window.jupyterapp && ({_PANELS})().some((p) => p.front && p.kernel === 'idle')",
        timeout=120_000,
    )
    page.wait_for_timeout(3_000)  # time for any other kernel to (wrongly) start
    panels = page.evaluate(_PANELS)
    assert sorted(p["path"] for p in panels) == sorted(FOUR_LESSONS)
    assert page.evaluate(_KERNELS) == 1
    assert [p["kernel"] for p in panels if not p["front"]] == [None, None, None]

    behind = next(p for p in panels if not p["front"])
    page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", behind["id"])
    page.wait_for_function(
        f"(id) => ({_PANELS})().some((p) => p.id === id && p.kernel === 'idle')",
        arg=behind["id"],
        timeout=120_000,
    )
    assert page.evaluate(_KERNELS) == 2
