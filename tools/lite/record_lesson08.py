"""Record the report of lesson 08's live nbval run on CPython, for the JupyterLite site.

The site cannot start processes, so its copy of lesson 08 loads this recording instead of
running ``pytest --nbval`` (see ``site_notebooks.py``). Refresh it after changing that part
of the lesson, with the kit's venv::

    .venv/bin/python tools/lite/record_lesson08.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from site_notebooks import LESSON_08, RECORDED_RUN, _find, _source

ROOT = Path(__file__).resolve().parents[2]


def record() -> str:
    """Run lesson 08's code cells up to its nbval run; return the run's report."""
    notebook = json.loads((ROOT / "notebooks" / LESSON_08).read_text())
    cells = notebook["cells"]
    last = _find(cells, "subprocess.run", "nbval")
    namespace: dict[str, Any] = {}
    os.chdir(ROOT / "notebooks")  # the lesson runs beside its notebook
    for cell in cells[: last + 1]:
        source = _source(cell)
        if cell["cell_type"] == "code" and not source.lstrip().startswith("%"):
            exec(compile(source, LESSON_08, "exec"), namespace)
    return str(namespace["result"].stdout)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    report = record()
    (Path(__file__).with_name(RECORDED_RUN)).write_text(report)
    print(report)
