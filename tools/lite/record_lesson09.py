"""Record lesson 09's coverage and mutation runs on CPython, for the JupyterLite site.

The site cannot start processes, so its copy of lesson 09 loads these runs instead of
making them (see ``site_notebooks.py``). The lesson runs top to bottom in a fresh kernel,
as ``make outputs`` runs it; then every run it holds is written to ``lesson09-runs.json``.
Refresh it after changing the lesson or the services, with the kit's venv::

    .venv/bin/python tools/lite/record_lesson09.py
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from site_notebooks import LESSON_09, RECORDED_RUNS_09

ROOT = Path(__file__).resolve().parents[2]
# The lesson's own namespace, once every cell has run: the runs in it, as JSON.
DUMP = "from orderkit.suite_quality import recording\nprint(recording(globals()), end='')"


def record() -> str:
    """Run lesson 09 in a fresh kernel; return every run it made, as JSON."""
    notebook = nbformat.read(ROOT / "notebooks" / LESSON_09, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(DUMP))
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_error_names=["NoTestRunsTheMutants"],
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()
    (output,) = notebook.cells[-1].outputs
    return str(output["text"])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    runs = record()
    (Path(__file__).with_name(RECORDED_RUNS_09)).write_text(runs)
    print(f"{len(runs)} characters written to {RECORDED_RUNS_09}")
