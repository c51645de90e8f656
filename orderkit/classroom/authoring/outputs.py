"""Execute notebooks in a fresh kernel and store their outputs in place.

A teacher runs it on instructor notebooks from the course folder (``orderkit outputs
source/*.ipynb``), so that the solutions show what they do; the kit runs it on its own
lessons (``make outputs``), whose outputs strict nbval compares. Each notebook runs top to
bottom in a fresh ``python3`` kernel with the settings validation uses
(``PYTHONHASHSEED=0``), stops at the first error in a cell not tagged
``raises-exception``, and has this machine's paths replaced in its outputs by paths
relative to ``root``, so that no one's home folder is handed out or committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from orderkit.classroom.authoring.errors import OutputsError

KERNEL_ENV = {"PYTHONHASHSEED": "0"}
CI_VARIABLES = ("CI", "BUILD_NUMBER")  # pytest prints longer failure summaries on CI
TIMEOUT = 120


def _scrubbed(text: str, root: Path) -> str:
    return text.replace(f"{root}{os.sep}", "").replace(sys.prefix, "<PREFIX>")


def _scrub(notebook: object, root: Path) -> None:
    for cell in getattr(notebook, "cells", []):
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _scrubbed(output["text"], root)
            if "traceback" in output:
                output["traceback"] = [_scrubbed(line, root) for line in output["traceback"]]
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output["data"][mime] = _scrubbed(value, root)


def store_outputs(path: Path, *, root: Path, timeout: int = TIMEOUT) -> None:
    """Execute ``path`` in its own folder and write it back with its new outputs.

    Raises :class:`OutputsError` naming the cell when a cell fails unexpectedly, or when
    the file is not a notebook; the file is then left as it was.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # JSON and schema errors are ValueErrors
        raise OutputsError(f"{path}: not a readable notebook ({error})") from None
    environment = {**os.environ, **KERNEL_ENV}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({k: v for k, v in environment.items() if k not in CI_VARIABLES})
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        shutdown_kernel="immediate",
        record_timing=False,  # per-cell timestamps would change every run
        store_widget_state=False,  # random model ids, ~30 KB of diff noise per run
    )
    try:
        client.execute()
    except CellTimeoutError as error:
        raise OutputsError(f"{path}: a cell ran past {timeout} s ({error})"[:500]) from None
    except CellExecutionError as error:
        first = str(error).strip().splitlines()
        raise OutputsError(f"{path}: a cell failed: {first[-1] if first else error}") from None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    _scrub(notebook, root.resolve())
    nbformat.write(notebook, path)
