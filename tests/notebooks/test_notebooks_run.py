"""Smoke run: every notebook runs top to bottom with nbclient, no error but tagged ones.

nbval does not compare cells whose output it ignores, so it misses an error such as a
``UsageError`` from a mistyped magic there; nbclient fails on any error in a cell that is
not tagged ``raises-exception``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def test_there_are_lessons() -> None:
    assert LESSONS, f"no NN-title.ipynb notebook in {NOTEBOOKS}"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_notebook_runs_without_unexpected_errors(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        shutdown_kernel="immediate",
    )

    client.execute()

    tagged = [c for c in notebook.cells if "raises-exception" in c.metadata.get("tags", [])]
    for cell in tagged:
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        assert errors, f"a cell tagged raises-exception ran without error:\n{cell.source}"
