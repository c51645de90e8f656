"""Execute lesson notebooks in place and store their outputs, as nbval will compare them.

Run it after editing a notebook (``make outputs`` runs it on all of them)::

    python tools/run_notebooks.py notebooks/01-meet-the-services.ipynb

It runs each notebook top to bottom in a fresh kernel with the same settings as validation
(``PYTHONHASHSEED=0``), stops at the first error in a cell not
tagged ``raises-exception``, and replaces this machine's paths in the outputs with
paths relative to the repository, so no one's home folder is committed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL_ENV = {"PYTHONHASHSEED": "0"}
CI_VARIABLES = ("CI", "BUILD_NUMBER")


def _scrub(text: str) -> str:
    return text.replace(f"{ROOT}{os.sep}", "").replace(sys.prefix, "<PREFIX>")


def _scrub_outputs(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _scrub(output["text"])
            if "traceback" in output:
                output["traceback"] = [_scrub(line) for line in output["traceback"]]
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output["data"][mime] = _scrub(value)


def run(path: Path, timeout: int = 120) -> None:
    """Execute ``path`` in place; raise ``CellExecutionError`` on an unexpected error."""
    notebook = nbformat.read(path, as_version=4)
    os.environ.update(KERNEL_ENV)
    for name in CI_VARIABLES:  # pytest prints longer failure summaries on CI
        os.environ.pop(name, None)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        shutdown_kernel="immediate",
        record_timing=False,  # per-cell timestamps would change every run
        store_widget_state=False,  # random model ids, ~30 KB of diff noise per run
    )
    client.execute()
    _scrub_outputs(notebook)
    nbformat.write(notebook, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.notebooks:
        print(f"running {path}", flush=True)
        run(path)


if __name__ == "__main__":
    main()
