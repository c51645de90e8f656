"""What the JupyterLite site serves: the course's notebooks, changed only where they must be.

Every copy names the kernel the site runs (Pyodide's ``python``, with the
``language_info`` that kernel reports), so opening a lesson changes nothing and marks
nothing unsaved. Every file a notebook links to (``CONTRACT.md``, the other lessons) is
served next to it; a link to a file that is not there stops the build. Lesson 00's copy
starts with a few lines on the browser: the first wait, where work is kept, saving and
handing in.

Python in the browser (Pyodide) cannot start processes. Lesson 08 has two cells that
start one; the site's copy turns each into a *stored example*: a markdown cell that shows
the code and what it printed on CPython, marked as such. The nbval run, whose report later
cells pick apart, becomes a read-only cell that loads a report recorded on CPython
(``lesson08-nbval-run.txt``, refreshed by ``record_lesson08.py``). The committed
notebook is never changed; a cell that can no longer be found stops the build, so an
edit of lesson 08 cannot silently bring a process back into the site.

Lesson 09 runs coverage.py and mutmut, each in a process of its own (mutmut forks one per
mutant). In the site's copy, a cell that makes a run loads that run instead, read-only, from
``lesson09-runs.json`` (recorded on CPython by ``record_lesson09.py``), and keeps its
committed output; the exercise's first try, which fails on purpose, becomes a stored
example.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LESSON_00 = "00-how-to-use-this-kit.ipynb"
LESSON_08 = "08-testing-notebooks-in-ci.ipynb"
LESSON_09 = "09-how-good-are-your-tests.ipynb"
# What jupyterlite-pyodide-kernel 0.8.6 reports (its kernelspec and kernel_info_reply);
# JupyterLab writes both into a notebook when the kernel starts, unless already equal.
PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
PYODIDE_LANGUAGE_INFO = {
    "codemirror_mode": {"name": "python", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.8",
}
IN_THE_BROWSER = """## In the browser: read this first

This copy of the course runs in your browser alone (JupyterLite): nothing to install, and
your work is sent nowhere.

- **The first wait:** when a lesson opens, Python (Pyodide) and the kit load into the
  page. That takes about 20 seconds; until then a cell you run shows `[*]`. After that,
  cells answer at once.
- **Where your work is kept:** in this browser's storage, on this computer. Another
  browser, a private window or clearing this site's data does not have it.
- **Save:** **Ctrl+S** (**Cmd+S** on a Mac) or **File → Save Notebook**. Saved notebooks
  are there when you come back, in the same browser.
- **Hand in:** **File → Download** saves the open notebook to your computer under its own
  name, such as `10-exercise-unit-tests.ipynb`. Hand in that file as your teacher asks.
- **The lessons** are in the `notebooks` folder of the file browser (the folder icon on
  the left); the lesson map is near the end of this lesson."""
# Markdown links and images to a file beside the notebook: [text](target) or ](target "title").
LOCAL_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)")
RECORDED_RUN = "lesson08-nbval-run.txt"
RECORDED_RUNS_09 = "lesson09-runs.json"
# A cell of lesson 09 that starts a tool: `name = measure_coverage(...)` or `run_mutmut(...)`.
TOOL_RUN = re.compile(r"^(\w+) = (?:measure_coverage|run_mutmut)\(.*\)$", flags=re.MULTILINE)
NO_TOOL_PROCESSES = (
    "**Stored run.** Python in the browser (Pyodide) cannot start a process, and coverage.py "
    "and mutmut each run in one (mutmut forks one per mutant). On CPython (`make lab`, or any "
    "JupyterLab with the kit installed) the next cell runs:"
)
LOAD_STORED_RUN = (
    "Here it loads that run as it was recorded on CPython (read-only), so the cells after it "
    "work on a real run."
)
# The kit's own files that lesson 08 reads and prints (with orderkit.kitfiles).
KIT_FILES = ("Makefile", ".github/workflows/ci.yml", "tests/nbval-sanitize.cfg")
NO_PROCESSES = (
    "**Stored example.** Python in the browser (Pyodide) cannot start a process, so this "
    "cell does not run here. This is its code, and what it printed on CPython "
    "(`make lab`, or any JupyterLab with the kit installed):"
)
NBVAL_RUN = (
    "**Stored example.** Python in the browser (Pyodide) cannot start a process, so it "
    "cannot run `pytest --nbval` as this code does on CPython:"
)
LOAD_RECORDED_RUN = (
    "# Stored example (read-only): the report of the run above, recorded on CPython.\n"
    "from types import SimpleNamespace\n"
    "\n"
    f'result = SimpleNamespace(stdout=Path("{RECORDED_RUN}").read_text())'
)
AFTER_NBVAL_RUN = (
    "The next cell loads the report of that run, recorded on CPython, into `result`, so "
    "the cells after it work on a real report."
)


class SiteNotebookError(RuntimeError):
    """A notebook no longer has the cells the site's copy changes."""


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _fence(text: str, language: str = "") -> str:
    return f"~~~~{language}\n{text.rstrip()}\n~~~~"


def _stored_text(cell: dict[str, Any]) -> str:
    """What a code cell printed, as committed (an error as its name and message)."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}\n")
            continue
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


def _markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _stored_example(cell: dict[str, Any], note: str) -> dict[str, Any]:
    output = _stored_text(cell)
    return _markdown(
        f"{note}\n\n{_fence(_source(cell), 'python')}\n\n"
        f"Output (CPython):\n\n{_fence(output or '(nothing)')}"
    )


def _find(cells: list[dict[str, Any]], *needles: str, lesson: str = LESSON_08) -> int:
    found = [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code" and all(needle in _source(cell) for needle in needles)
    ]
    if len(found) != 1:
        raise SiteNotebookError(
            f"{lesson}: expected one code cell with {needles}, found {len(found)}"
        )
    return found[0]


def lesson_08_for_the_site(notebook: dict[str, Any]) -> dict[str, Any]:
    """Lesson 08 without processes: stored examples in their place."""
    site = copy.deepcopy(notebook)
    cells: list[dict[str, Any]] = site["cells"]
    hash_seeds = _find(cells, "subprocess.run", "PYTHONHASHSEED")
    cells[hash_seeds] = _stored_example(cells[hash_seeds], NO_PROCESSES)
    nbval_run = _find(cells, "subprocess.run", "nbval")
    loader: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"editable": False, "deletable": False, "tags": ["stored-example"]},
        "outputs": [],
        "source": LOAD_RECORDED_RUN,
    }
    shown = _markdown(f"{NBVAL_RUN}\n\n{_fence(_source(cells[nbval_run]), 'python')}")
    cells[nbval_run : nbval_run + 1] = [shown, _markdown(AFTER_NBVAL_RUN), loader]
    return site


def lesson_09_for_the_site(notebook: dict[str, Any]) -> dict[str, Any]:
    """Lesson 09 without processes: its tool runs loaded from a recording."""
    site = copy.deepcopy(notebook)
    cells: list[dict[str, Any]] = []
    runs = 0
    for cell in site["cells"]:
        source = _source(cell)
        found = TOOL_RUN.search(source) if cell["cell_type"] == "code" else None
        if found is None:
            cells.append(cell)
            continue
        runs += 1
        if "raises-exception" in cell["metadata"].get("tags", []):  # the exercise's first try
            cells.append(_stored_example(cell, NO_TOOL_PROCESSES))
            continue
        name = found.group(1)
        loader = copy.deepcopy(cell)
        loaded = f'{name} = stored_run("{RECORDED_RUNS_09}", "{name}")  # recorded on CPython'
        loader["source"] = source.replace(found.group(0), loaded)
        loader["metadata"] = {
            **cell["metadata"],
            "editable": False,
            "deletable": False,
            "tags": [*cell["metadata"].get("tags", []), "stored-example"],
        }
        shown = _markdown(
            f"{NO_TOOL_PROCESSES}\n\n{_fence(found.group(0), 'python')}\n\n{LOAD_STORED_RUN}"
        )
        cells += [shown, loader]
    if runs == 0:
        raise SiteNotebookError(f"{LESSON_09}: no cell runs measure_coverage or run_mutmut")
    imports = _find(cells, "import", "run_mutmut", lesson=LESSON_09)
    cells[imports]["source"] = (
        _source(cells[imports]) + "\nfrom orderkit.suite_quality import stored_run"
    )
    site["cells"] = cells
    return site


def lesson_00_for_the_site(notebook: dict[str, Any]) -> dict[str, Any]:
    """Lesson 00 with the browser's few lines right after its title and goals."""
    site = copy.deepcopy(notebook)
    site["cells"].insert(1, _markdown(IN_THE_BROWSER))
    return site


def on_pyodide(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook as the site's kernel will describe it."""
    site = copy.deepcopy(notebook)
    site["metadata"]["kernelspec"] = dict(PYODIDE_KERNELSPEC)
    site["metadata"]["language_info"] = copy.deepcopy(PYODIDE_LANGUAGE_INFO)
    return site


def local_links(notebook: dict[str, Any]) -> set[str]:
    """The files beside it that a notebook's markdown links to (the notebook's own folder)."""
    return {
        target
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for target in LOCAL_LINK.findall(_source(cell))
    }


def for_the_site(name: str, notebook: dict[str, Any]) -> dict[str, Any]:
    """The site's copy of the notebook ``name``."""
    if name == LESSON_00:
        notebook = lesson_00_for_the_site(notebook)
    elif name == LESSON_08:
        notebook = lesson_08_for_the_site(notebook)
    elif name == LESSON_09:
        notebook = lesson_09_for_the_site(notebook)
    return on_pyodide(notebook)


def stage_contents(root: Path, contents: Path) -> list[Path]:
    """Copy what the site serves into ``contents``; return the notebooks staged."""
    notebooks = contents / "notebooks"
    notebooks.mkdir(parents=True)
    staged = []
    linked: set[str] = set()
    for source in sorted((root / "notebooks").glob("[01]*.ipynb")):
        target = notebooks / source.name
        site = for_the_site(source.name, json.loads(source.read_text()))
        target.write_text(json.dumps(site, indent=1, ensure_ascii=False) + "\n")
        linked |= local_links(site)
        staged.append(target)
    shutil.copyfile(HERE / RECORDED_RUN, notebooks / RECORDED_RUN)
    shutil.copyfile(HERE / RECORDED_RUNS_09, notebooks / RECORDED_RUNS_09)
    for name in sorted(linked - {path.name for path in staged}):
        if not (root / "notebooks" / name).is_file():
            raise SiteNotebookError(f"a notebook links to notebooks/{name}, which is not there")
        (notebooks / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / "notebooks" / name, notebooks / name)
    for name in KIT_FILES:  # lesson 08 reads them from one folder up
        (contents / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, contents / name)
    return staged
