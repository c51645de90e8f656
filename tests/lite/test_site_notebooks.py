"""The site's copy of lesson 08: stored examples where the browser cannot start processes."""

from __future__ import annotations

import importlib.util
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
