"""The course in the browser: every lesson in the JupyterLite site, top to bottom.

Each lesson opens in a fresh browser profile (opening marks nothing unsaved) and runs
"Restart Kernel and Run All" as a student would, every cell in one go; each cell's
outcome is compared with the output committed in the site's copy of the notebook (see
``outcomes.py``): every cell must have run. The exercises (student versions, no committed outputs)
must run without an error in an untagged cell. The site size and the time to a ready
kernel are printed (``-s`` shows them) and written to ``test-results/lite/timings.json``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page

from tests.browser.conftest import ROOT
from tests.lite.lite_page import (
    KERNEL_IDLE,
    KERNEL_READY_WITHIN,
    UNSAVED,
    open_notebook,
    run_all,
)
from tests.lite.outcomes import (
    PYODIDE_RULES,
    compare,
    has_error,
    reports_not_named,
    sanitize_rules,
)

pytestmark = pytest.mark.browser

LESSONS = sorted(path.name for path in (ROOT / "notebooks").glob("0*.ipynb"))
EXERCISES = sorted(path.name for path in (ROOT / "notebooks").glob("1*.ipynb"))
RESULTS = ROOT / "test-results" / "lite"
FIXTURES = ROOT / "tests" / "data" / "lite"
TIMINGS: dict[str, dict[str, float]] = {}
CHECK_CALL = "check("  # the exercises' scoreboard cells
CHECK_WITHIN = 60_000  # ms; check() takes 1.4-1.9 s in the browser where it works
# What a student writes into exercise 10's first cell of tests (the instructor's solution).
ANSWER_10 = '''def test_check_stock_returns_the_opening_stock():
    """Item 1 starts with 10 units and item 2 with 5."""
    inventory = InventoryService({1: 10, 2: 5})

    assert inventory.check_stock(1) == 10
    assert inventory.check_stock(2) == 5


def test_check_stock_of_an_item_never_stocked_is_zero():
    """An item the inventory never held, such as 99, has stock 0 (exactly 0)."""
    inventory = InventoryService({1: 10, 2: 5})

    assert inventory.check_stock(99) == 0
'''


_RUN_CODE = """async (code) => {
    const app = window.jupyterapp;
    const notebook = app.shell.currentWidget.content;
    notebook.activeCellIndex = notebook.widgets.length - 1;
    await app.commands.execute('notebook:insert-cell-below');
    const cell = notebook.activeCell;
    cell.model.sharedModel.setSource(code);
    await app.commands.execute('notebook:run-cell');
    return cell.model.outputs.toJSON();
}"""


_RUN_CODE_WITHIN = f"""async ([code, within]) => {{
    const run = ({_RUN_CODE})(code);
    const late = new Promise(
        (_, reject) => setTimeout(() => reject(new Error('timed out')), within),
    );
    return await Promise.race([run, late]);
}}"""


def _site_notebook(site: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((site / "files" / "notebooks" / name).read_text()))


def _record(name: str, **figures: float) -> None:
    TIMINGS.setdefault(name, {}).update({key: round(value, 1) for key, value in figures.items()})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1, sort_keys=True))


def test_the_site_is_small_enough_to_publish(site: Path) -> None:
    sizes: dict[str, int] = {}
    for path in site.rglob("*"):
        if path.is_file():
            top = path.relative_to(site).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    total = sum(sizes.values()) / 1e6
    print(
        f"\nsite {total:.1f} MB: "
        + ", ".join(
            f"{top} {size / 1e6:.1f}"
            for top, size in sorted(sizes.items(), key=lambda i: -i[1])[:4]
        )
    )
    _record("site", megabytes=total)

    assert total < 100, "GitHub Pages warns above 1 GB; a course site should stay far below"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_as_committed(page: Page, base_url: str, site: Path, lesson: str) -> None:
    stored = _site_notebook(site, lesson)

    run = run_all(page, base_url, f"notebooks/{lesson}")

    assert run.unsaved_on_open == [False, False], "opening the lesson marked it unsaved"
    print(f"\n{lesson}: kernel ready in {run.kernel_ready:.1f} s, cells in {run.run_all:.1f} s")
    _record(lesson, kernel_ready=run.kernel_ready, cells=run.run_all)
    problems = compare(stored["cells"], run.cells, sanitize_rules() + PYODIDE_RULES)
    assert not problems, f"{lesson} in the browser:\n" + "\n\n".join(problems)
    assert reports_not_named(run.cells) == []


def _errors(cells: list[dict[str, Any]]) -> dict[int, str]:
    """Code cell number -> the error it raised, for cells not tagged raises-exception."""
    code = [cell for cell in cells if cell["type"] == "code"]
    found = {}
    for number, cell in enumerate(code, 1):
        if cell["executionCount"] is None:
            found[number] = "did not run"
        for output in cell["outputs"]:
            if output["output_type"] == "error" and "raises-exception" not in cell["tags"]:
                found[number] = f"{output['ename']}: {output['evalue']}"
    return found


def _tagged_but_clean(cells: list[dict[str, Any]]) -> list[int]:
    """Code cell numbers tagged raises-exception that raised nothing (a red step gone green)."""
    code = [cell for cell in cells if cell["type"] == "code"]
    return [
        number
        for number, cell in enumerate(code, 1)
        if "raises-exception" in cell["tags"] and not has_error(cell["outputs"])
    ]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise_runs_without_unexpected_errors(page: Page, base_url: str, exercise: str) -> None:
    """Every cell, the check() scoreboards included, runs without an error; a cell tagged
    raises-exception (lesson 12's red steps) raises one."""
    run = run_all(page, base_url, f"notebooks/{exercise}")

    assert run.unsaved_on_open == [False, False], "opening the exercise marked it unsaved"
    _record(exercise, kernel_ready=run.kernel_ready, cells=run.run_all)
    code = [cell for cell in run.cells if cell["type"] == "code"]
    checks = {number for number, cell in enumerate(code, 1) if CHECK_CALL in cell["source"]}
    assert checks, f"{exercise} has no check() cell"
    assert _errors(run.cells) == {}
    assert _tagged_but_clean(run.cells) == []


def _cpython_verdict(cells: list[str]) -> dict[str, Any]:
    """What check() says on CPython (forked runs) for the same cells."""
    import types

    from orderkit.classroom import check

    module = types.ModuleType("same_cells_on_cpython")
    for cell in cells:
        exec(cell, module.__dict__)
    result = check("unit-tests", module=module)
    return {
        "caught": sorted(c.name for c in result.chaffs if c.caught),
        "valid": sorted(result.valid),
        "invalid": sorted(result.invalid),
        "tests": sorted(result.tests),
    }


def test_check_in_the_browser_gives_cpythons_verdict(page: Page, base_url: str) -> None:
    """A small suite in every style, graded in Pyodide (no fork, no signals) and here."""
    from tests.classroom.notebooks import VERDICT
    from tests.classroom.styles import FUNCTIONS, UNITTEST

    cells = [FUNCTIONS[0], FUNCTIONS[1], UNITTEST[0], UNITTEST[1]]
    open_notebook(page, base_url, "notebooks/10-exercise-unit-tests.ipynb")
    for cell in cells:
        assert page.evaluate(_RUN_CODE, cell) == []
    started = time.monotonic()
    outputs = page.evaluate(_RUN_CODE_WITHIN, [VERDICT.format(exercise="unit-tests"), CHECK_WITHIN])
    took = time.monotonic() - started
    _record("check", seconds=took, tests=14)

    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "VERDICT" in text, f"check() printed no verdict: {json.dumps(outputs)[:500]}"
    browser = json.loads(text.split("VERDICT", 1)[1].splitlines()[0])
    assert browser["error"] == ""
    assert "take turns" in browser["isolation"]
    assert {k: browser[k] for k in ("caught", "valid", "invalid", "tests")} == _cpython_verdict(
        cells
    )
    assert len(browser["caught"]) == 10  # the time is a figure (timings.json), not a test


def test_a_hung_test_is_stopped_in_the_browser_and_the_page_goes_on(
    page: Page, base_url: str
) -> None:
    """No fork, no timer signals: a hook on the interpreter (sys.monitoring) stops it, and
    the kernel answers after."""
    open_notebook(page, base_url, "notebooks/10-exercise-unit-tests.ipynb")
    setup = (
        "from orderkit.classroom import check\n\ndef test_spins():\n    while True:\n        pass"
    )
    assert page.evaluate(_RUN_CODE, setup) == []

    outputs = page.evaluate(
        _RUN_CODE_WITHIN, ['print(check("unit-tests", timeout=0.5).invalid)', CHECK_WITHIN]
    )
    after = page.evaluate(_RUN_CODE_WITHIN, ["print(6 * 7)", CHECK_WITHIN])

    shown = json.dumps(outputs)
    stopped = "ran for more than 0.5 s of CPU time on the correct code and was stopped"
    assert stopped in shown, shown[:500]
    assert "42" in json.dumps(after)


def test_check_draws_a_scoreboard_in_the_browser(page: Page, base_url: str) -> None:
    open_notebook(page, base_url, "notebooks/10-exercise-unit-tests.ipynb")
    assert page.evaluate(_RUN_CODE, "from orderkit.classroom import check") == []

    outputs = page.evaluate(_RUN_CODE_WITHIN, [f'{CHECK_CALL}"unit-tests")', CHECK_WITHIN])

    shown = json.dumps(outputs)
    assert not has_error(outputs), shown[:500]
    assert "application/vnd.jupyter.widget-view+json" in shown
    assert "caught 0 of 10 bugs" in shown


_SAVE_AND_READ = """async (path) => {
    const app = window.jupyterapp;
    await app.commands.execute('docmanager:save');
    const model = await app.serviceManager.contents.get(path, {content: true});
    return model.content;
}"""


def test_a_student_saves_and_downloads_their_notebook(page: Page, base_url: str) -> None:
    """Edit exercise 10, save it, reload with no "leave site?", download it under its name."""
    path = "notebooks/10-exercise-unit-tests.ipynb"
    open_notebook(page, base_url, path)
    answer = ANSWER_10
    page.evaluate(
        """(answer) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const index = notebook.widgets.findIndex((cell) => cell.model.type === 'code'
                && cell.model.sharedModel.getSource().includes('NotImplementedError'));
            notebook.widgets[index].model.sharedModel.setSource(answer);
        }""",
        answer,
    )

    saved = page.evaluate(_SAVE_AND_READ, path)
    with page.expect_download() as download_info:
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:download')")
    download = download_info.value
    RESULTS.mkdir(parents=True, exist_ok=True)
    downloaded = RESULTS / download.suggested_filename
    download.save_as(downloaded)

    unsaved_after_saving = page.evaluate(UNSAVED)
    prompts: list[str] = []

    def leave(dialog: Dialog) -> None:
        prompts.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    page.reload()
    page.wait_for_function(KERNEL_IDLE, arg=path, timeout=KERNEL_READY_WITHIN)

    assert unsaved_after_saving == [False, False]
    assert prompts == [], "reloading after a save asked to leave the page"
    notebook = json.loads(downloaded.read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert download.suggested_filename == "10-exercise-unit-tests.ipynb"
    assert answer in sources, "the download does not hold the student's edit"
    assert ["".join(cell["source"]) for cell in saved["cells"]] == sources
    assert notebook["metadata"]["orderkit"]["exercise"] == "unit-tests"
    fixture = FIXTURES / "10-exercise-unit-tests.from-browser.ipynb"
    if os.environ.get("ORDERKIT_LITE_REFRESH_FIXTURES"):
        FIXTURES.mkdir(parents=True, exist_ok=True)
        fixture.write_text(downloaded.read_text())
    committed = json.loads(fixture.read_text())
    assert ["".join(cell["source"]) for cell in committed["cells"]] == sources, (
        f"{fixture} no longer matches what the site downloads; refresh it with "
        "ORDERKIT_LITE_REFRESH_FIXTURES=1 make lite-test"
    )


def test_the_kit_imports_and_an_ipytest_cell_runs(page: Page, base_url: str) -> None:
    path = "notebooks/00-how-to-use-this-kit.ipynb"
    open_notebook(page, base_url, path)
    setup = "from orderkit.notebook import setup_ipytest\n\nsetup_ipytest()"
    code = (
        "%%ipytest\n"
        "import sys\n\n"
        "from orderkit import InventoryService\n\n\n"
        "def test_in_the_browser():\n"
        "    assert sys.platform == 'emscripten'\n"
        "    assert InventoryService().check_stock(1) == 10\n"
    )

    assert page.evaluate(_RUN_CODE, setup) == []
    started = time.monotonic()
    outputs = page.evaluate(_RUN_CODE, code)

    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert not has_error(outputs), outputs
    assert "1 passed" in text
    _record("ipytest cell", seconds=time.monotonic() - started)


def test_a_request_beyond_loopback_is_blocked_and_recorded(
    page: Page, base_url: str, outside_requests: list[str]
) -> None:
    """The guard every other test relies on: an outside fetch fails, and is noticed."""
    page.goto(f"{base_url}lab/index.html")
    before = len(outside_requests)

    outcome = page.evaluate(
        """() => fetch('https://pypi.org/simple/micropip/').then(
            () => 'fetched', (error) => 'blocked: ' + error.message)"""
    )

    recorded = outside_requests[before:]
    del outside_requests[before:]  # expected here; any other test fails on one
    assert outcome.startswith("blocked")
    assert recorded == ["https://pypi.org/simple/micropip/"]


def test_sqlite_works_under_tmp_and_says_why_not_beside_the_notebook(
    page: Page, base_url: str
) -> None:
    """Exercise 15 keeps its databases in tmp_path (under /tmp), which works in the browser;
    a file beside the notebook is in the browser's storage, and the error says so."""
    open_notebook(page, base_url, "notebooks/15-exercise-database.ipynb")
    code = (
        "import tempfile\n"
        "from pathlib import Path\n"
        "from orderkit import InventoryService, SqliteStore, StoreError\n"
        "with tempfile.TemporaryDirectory() as folder:\n"
        "    with SqliteStore(Path(folder) / 'shop.db') as store:\n"
        "        InventoryService({1: 10}, store=store)\n"
        "    with SqliteStore(Path(folder) / 'shop.db') as store:\n"
        "        print('under /tmp:', InventoryService(store=store).snapshot())\n"
        "try:\n"
        "    SqliteStore('shop.db')\n"
        "except StoreError as error:\n"
        "    print('beside the notebook:', error)\n"
    )

    outputs = page.evaluate(_RUN_CODE, code)

    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert not has_error(outputs), outputs
    assert "under /tmp: {1: 10}" in text
    assert "beside the notebook: Database 'shop.db' failed: disk I/O error" in text
    assert "open the database in a folder under /tmp, such as pytest's tmp_path" in text
