"""The site's copy of lesson 08: stored examples where the browser cannot start processes."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from IPython.lib.pretty import pretty

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "lite"


def _tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


site_notebooks = _tool("site_notebooks")
LESSON = json.loads((ROOT / "notebooks" / site_notebooks.LESSON_08).read_text())


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


@pytest.fixture(scope="module")
def site_copy() -> list[dict[str, Any]]:
    return list(site_notebooks.lesson_08_for_the_site(LESSON)["cells"])


def test_no_cell_of_the_site_copy_starts_a_process(site_copy: list[dict[str, Any]]) -> None:
    code = [_source(cell) for cell in site_copy if cell["cell_type"] == "code"]

    assert not [source for source in code if "subprocess.run" in source]
    assert len(code) == len([c for c in LESSON["cells"] if c["cell_type"] == "code"]) - 1


def test_the_stored_examples_show_the_code_and_what_it_printed(
    site_copy: list[dict[str, Any]],
) -> None:
    stored = [_source(cell) for cell in site_copy if "**Stored example.**" in _source(cell)]
    hash_seeds = next(text for text in stored if "PYTHONHASHSEED" in text)

    assert len(stored) == 2
    assert "PYTHONHASHSEED=0: {" in hash_seeds  # the committed output, shown as text
    assert "subprocess.run(" in hash_seeds  # and the code that printed it


def test_the_nbval_run_is_loaded_read_only_from_a_recording(
    site_copy: list[dict[str, Any]],
) -> None:
    (loader,) = [cell for cell in site_copy if "stored-example" in cell["metadata"].get("tags", [])]

    assert site_notebooks.RECORDED_RUN in _source(loader)
    assert loader["metadata"]["editable"] is False
    assert (TOOLS / site_notebooks.RECORDED_RUN).is_file()


def test_the_recording_gives_the_outputs_the_lesson_committed() -> None:
    """The cells that read the run's report print, on the recording, what 08 stored."""
    result = SimpleNamespace(stdout=(TOOLS / site_notebooks.RECORDED_RUN).read_text())
    readers = [
        cell
        for cell in LESSON["cells"]
        if cell["cell_type"] == "code"
        and "result.stdout" in _source(cell)
        and "subprocess" not in _source(cell)
    ]

    assert readers, "lesson 08 no longer reads result.stdout: revisit site_notebooks.py"
    for cell in readers:
        (shown,) = [o["data"]["text/plain"] for o in cell["outputs"] if "data" in o]
        value = eval(_source(cell), {"re": re, "result": result})  # the cell's one expression
        assert pretty(value) == "".join(shown)  # as IPython displays a result


def test_lesson_07_names_what_hypothesis_prints_on_cpython() -> None:
    """The site's run checks the browser's words (test_site.py); this, CPython's."""
    from tests.lite.outcomes import reports_not_named

    lesson = json.loads((ROOT / "notebooks" / "07-property-based-tests.ipynb").read_text())
    shown = json.dumps([cell.get("outputs", []) for cell in lesson["cells"]])

    assert "Failing test case" in shown  # else the kit's hypothesis changed its words again
    assert reports_not_named(lesson["cells"]) == []


# -- lesson 09: coverage and mutation runs, recorded ------------------------------------------

LESSON_09 = json.loads((ROOT / "notebooks" / site_notebooks.LESSON_09).read_text())
TOOL_CALL = re.compile(r"\b(?:measure_coverage|run_mutmut)\(")


@pytest.fixture(scope="module")
def site_copy_09() -> list[dict[str, Any]]:
    return list(site_notebooks.lesson_09_for_the_site(LESSON_09)["cells"])


def test_no_cell_of_lesson_09s_site_copy_runs_a_tool(site_copy_09: list[dict[str, Any]]) -> None:
    code = [_source(cell) for cell in site_copy_09 if cell["cell_type"] == "code"]
    committed = [_source(c) for c in LESSON_09["cells"] if c["cell_type"] == "code"]

    assert [source for source in committed if TOOL_CALL.search(source)], "09 runs no tool"
    assert not [source for source in code if TOOL_CALL.search(source)]
    assert len(code) == len(committed) - 1  # the exercise's first try: a stored example


def test_lesson_09s_loaders_are_read_only_and_shown_their_code(
    site_copy_09: list[dict[str, Any]],
) -> None:
    loaders = [c for c in site_copy_09 if "stored-example" in c["metadata"].get("tags", [])]
    notes = [_source(c) for c in site_copy_09 if "**Stored run.**" in _source(c)]

    assert len(loaders) >= 3
    assert all(loader["metadata"]["editable"] is False for loader in loaders)
    assert all(loader["outputs"] for loader in loaders)  # committed output kept: compared
    assert len(notes) == len(loaders) + 1
    assert any("NoTestRunsTheMutants" in note for note in notes)  # the exercise's first try


def _run_cell(source: str, namespace: dict[str, Any]) -> str:
    """A cell's stdout and, like IPython, the pretty repr of its last expression."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<cell>", "exec"), namespace)
        if isinstance(last, ast.Expr):
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                print(pretty(value))
    return out.getvalue()


def _committed_text(cell: dict[str, Any]) -> str:
    parts = []
    for output in cell["outputs"]:
        if output["output_type"] == "stream":
            parts.append("".join(output["text"]))
        elif "data" in output:
            parts.append("".join(output["data"]["text/plain"]) + "\n")
    return "".join(parts)


def test_lesson_09s_recording_gives_the_outputs_the_lesson_committed(
    site_copy_09: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site copy's cells, run here on the recording, print what 09 committed.

    Test cells (``%%ipytest``) only define their tests here; the browser runs them.
    """
    monkeypatch.chdir(TOOLS)  # where the recording is, as it is beside the site's copy
    namespace: dict[str, Any] = {}
    compared = 0
    for cell in site_copy_09:
        source = _source(cell)
        if cell["cell_type"] != "code" or source.startswith("%xmode"):
            continue
        if source.startswith("%%ipytest"):
            exec(source.partition("\n")[2], namespace)
            continue
        shown = _run_cell(source, namespace)
        if cell["outputs"]:
            assert shown == _committed_text(cell), source
            compared += 1

    assert compared >= 10


# -- what Pyodide's Python prints differently --------------------------------------------------

CPYTHON_311 = (
    """\
>       with pytest.raises(OrderAlreadyCancelled):
E       Failed: DID NOT RAISE OrderAlreadyCancelled
cancel_order(self, order_id: 'int') -> 'Order'
    Cancel an order.
"""
    + "    \n    Returns the order."
)
PYODIDE_314 = """\
>       with pytest.raises(OrderAlreadyCancelled):
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
E       Failed: DID NOT RAISE OrderAlreadyCancelled
cancel_order(self, order_id: int) -> Order
    Cancel an order.

    Returns the order."""


def test_the_pyodide_rules_forgive_only_the_form_of_what_python_prints() -> None:
    from tests.lite.outcomes import PYODIDE_RULES, sanitize

    changed = PYODIDE_314.replace("-> Order", "-> None").replace("Returns", "Gives")

    assert sanitize(CPYTHON_311, PYODIDE_RULES) == sanitize(PYODIDE_314, PYODIDE_RULES)
    assert sanitize(CPYTHON_311, PYODIDE_RULES) != sanitize(changed, PYODIDE_RULES)
    assert "{'a': 'b'}" in sanitize("{'a': 'b'}", PYODIDE_RULES)  # a dict's repr is kept


def test_the_browser_scoreboard_says_why_it_has_no_coverage_hints_and_nothing_else() -> None:
    from orderkit.classroom.grading.hints import UNAVAILABLE
    from orderkit.classroom.grading.results import HINTS_HEAD
    from tests.lite.outcomes import PYODIDE_RULES, sanitize

    board = "5 valid tests; caught 7 of 7 bugs\n  [x] a bug (unit): caught by test_a"
    cpython = f"{board}\n  {HINTS_HEAD}\n  > no test runs OrderService.cancel_order"
    browser = f"{board}\n  . {UNAVAILABLE}"

    assert sanitize(cpython, PYODIDE_RULES) == sanitize(browser, PYODIDE_RULES)
    assert sanitize(cpython, PYODIDE_RULES) != sanitize(
        browser.replace("7 of 7", "6 of 7"), PYODIDE_RULES
    )
    assert sanitize(board, PYODIDE_RULES) != sanitize(browser, PYODIDE_RULES)  # the line is kept
