"""The instructor's solved exercises, graded in the site's Pyodide kernel as in JupyterLab.

The site ships the student versions only. Here each solved notebook of
``classroom/source/`` is written into the test browser's own storage, through the
application's contents service (as a student's saved notebook is kept), and run there with
"Restart Kernel and Run All". Nothing is added to ``dist/lite``: the copy lives in this
test's fresh browser profile and goes with it.

Every cell must give the output committed in the instructor's notebook (which strict nbval
checks on CPython), compared as ``test_site.py`` compares the lessons: the red steps of
lesson 12 fail, for the committed reason, and every ``check()`` scoreboard reads as in
JupyterLab, the last one at full marks: every test valid, every bug caught.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ROOT
from tests.lite.conftest import site_notebooks
from tests.lite.lite_page import run_all
from tests.lite.outcomes import PYODIDE_RULES, compare, sanitize_rules, visible_text

pytestmark = pytest.mark.browser

RESULTS = ROOT / "test-results" / "lite"
SOLVED = [
    "12-test-first",
    "13-exercise-test-doubles",
    "15-exercise-database",
    "17-exercise-property-based-tests",
]
# A scoreboard's first line when every test is valid and every bug caught.
FULL_MARKS = re.compile(r"^(\d+) valid tests?; caught (\d+) of \2 bugs?$")

# Write a notebook into the site's browser storage (JupyterLite's contents service).
_SAVE = """async ([path, content]) => {
    const app = window.jupyterapp;
    await app.serviceManager.contents.save(path, {type: 'notebook', format: 'json', content});
    const saved = await app.serviceManager.contents.get(path, {content: false});
    return saved.path;
}"""


def solved_copy(name: str) -> dict[str, Any]:
    """The instructor's notebook, described as the site's kernel describes its notebooks."""
    notebook = json.loads((ROOT / "classroom" / "source" / f"{name}.ipynb").read_text())
    return dict(site_notebooks.on_pyodide(notebook))


def _scoreboards(cells: list[dict[str, Any]]) -> list[str]:
    """The first line of every check() scoreboard, in order."""
    return [
        visible_text(cell["outputs"])["text/plain"].split("\n", 1)[0]
        for cell in cells
        if cell["type"] == "code" and cell["source"].startswith("check(")
    ]


def test_the_site_ships_no_solution(site: Path) -> None:
    """What this file loads at test time is nowhere in the published site."""
    shipped = "\n".join(
        path.read_text() for path in (site / "files").rglob("*.ipynb") if path.is_file()
    )
    assert "### BEGIN SOLUTION" not in shipped
    for name in SOLVED:
        assert f"{name}.ipynb" in {p.name for p in (site / "files" / "notebooks").iterdir()}


@pytest.mark.parametrize("name", SOLVED)
def test_the_solution_grades_in_the_browser_as_in_jupyterlab(
    page: Page, base_url: str, name: str
) -> None:
    notebook = solved_copy(name)
    path = f"notebooks/{name}.solved.ipynb"
    page.goto(f"{base_url}lab/index.html")
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    page.evaluate("() => window.jupyterapp.restored")
    assert page.evaluate(_SAVE, [path, notebook]) == path

    run = run_all(page, base_url, path)
    RESULTS.mkdir(parents=True, exist_ok=True)  # what the browser showed, to read on failure
    (RESULTS / f"{name}.solved.cells.json").write_text(json.dumps(run.cells, indent=1))

    print(f"\n{name} (solved): kernel ready in {run.kernel_ready:.1f} s, cells {run.run_all:.1f} s")
    problems = compare(notebook["cells"], run.cells, sanitize_rules() + PYODIDE_RULES)
    assert not problems, f"{name}, solved, in the browser:\n" + "\n\n".join(problems)
    boards = _scoreboards(run.cells)
    assert boards, f"{name} has no check() cell"
    assert FULL_MARKS.match(boards[-1]), boards[-1]
