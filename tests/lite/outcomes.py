"""Compare a notebook's run in the browser with its committed outputs, as nbval would.

Per code cell: an error where the cell is tagged ``raises-exception`` and nowhere else;
the same stdout and the same ``text/plain`` results, after the sanitising rules of
``tests/nbval-sanitize.cfg`` (plus the few that Pyodide needs: its cells' file names).
Cells nbval would not compare (``# NBVAL_IGNORE_OUTPUT``, ``# NBVAL_SKIP`` and their
tags) are not compared either. A cell tagged ``needs-threads`` must show the kit's note
(:data:`orderkit.concurrency.NO_THREADS`) instead of its stored output: Pyodide has no threads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orderkit.classroom.grading.hints import UNAVAILABLE
from orderkit.classroom.grading.results import HINTS_HEAD
from orderkit.concurrency import NO_THREADS

ROOT = Path(__file__).resolve().parents[2]
SANITIZE_FILE = ROOT / "tests" / "nbval-sanitize.cfg"
# Pyodide's kernel names a cell's code after its execution, not a temp file. Its Python
# (3.13+) prints a few things differently from the kit's CPython 3.11, in form only:
# pytest marks the failing expression with a line of carets; pydoc shows annotations that
# are strings without quotes, and a docstring's blank lines without indentation.
PYODIDE_RULES = [
    (r'(File )?"?<ipython-input-\d+-[0-9a-f]+>"?', "<IPY-INPUT>"),
    (r"(?m)^ *\^+ *\n", ""),
    (r"(?m)^[ \t]+$", ""),
    (r"(?<=: )'(\w+)'(?=[,)])", r"\1"),
    (r"(?m)(?<=\) -> )'(\w+)'$", r"\1"),
    # The browser's check() makes no hint run (its tests are timed without signals): one
    # line says so where CPython lists the coverage hints.
    (r"\n  " + re.escape(HINTS_HEAD) + r"(?:\n  > [^\n]*)*", "\n  . " + UNAVAILABLE),
]
IGNORE_MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip")


def sanitize_rules(path: Path = SANITIZE_FILE) -> list[tuple[str, str]]:
    """The ``regex:``/``replace:`` pairs of an nbval sanitize file, in order."""
    pairs = re.findall(r"^regex: (.*)\nreplace: (.*)$", path.read_text(), flags=re.MULTILINE)
    return [(pattern, replacement) for pattern, replacement in pairs]


def sanitize(text: str, rules: Iterable[tuple[str, str]]) -> str:
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _source(cell: dict[str, Any]) -> str:
    return _joined(cell["source"])


def _tags(cell: dict[str, Any]) -> list[str]:
    tags = cell.get("tags")
    if tags is None:
        tags = cell.get("metadata", {}).get("tags", [])
    return list(tags)


def visible_text(outputs: list[dict[str, Any]]) -> dict[str, str]:
    """The stdout and ``text/plain`` results of a cell: what the comparison looks at."""
    stdout, plain = [], []
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream" and output.get("name") == "stdout":
            stdout.append(_joined(output["text"]))
        elif kind in ("execute_result", "display_data") and "text/plain" in output["data"]:
            plain.append(_joined(output["data"]["text/plain"]))
    return {"stdout": "".join(stdout), "text/plain": "\n".join(plain)}


def has_error(outputs: list[dict[str, Any]]) -> bool:
    return any(output["output_type"] == "error" for output in outputs)


def compare(
    stored: list[dict[str, Any]], ran: list[dict[str, Any]], rules: list[tuple[str, str]]
) -> list[str]:
    """What differs between the committed cells and the cells run in the browser."""
    stored_code = [cell for cell in stored if cell["cell_type"] == "code"]
    ran_code = [cell for cell in ran if cell["type"] == "code"]
    if len(stored_code) != len(ran_code):
        return [f"{len(stored_code)} code cells committed, {len(ran_code)} in the browser"]
    problems = []
    for number, (want, got) in enumerate(zip(stored_code, ran_code, strict=True), start=1):
        where = f"code cell {number} ({_source(want).strip().splitlines()[0][:60]!r})"
        tags = _tags(want)
        if got["executionCount"] is None:
            problems.append(f"{where}: did not run")
            continue
        if has_error(got["outputs"]) != ("raises-exception" in tags):
            error = next((o for o in got["outputs"] if o["output_type"] == "error"), None)
            what = f"raised {error['ename']}: {error['evalue']}" if error else "raised nothing"
            problems.append(f"{where}: {what} (tags: {tags})")
            continue
        if "needs-threads" in tags:
            shown = visible_text(got["outputs"])["stdout"]
            if NO_THREADS not in shown:
                problems.append(f"{where}: no note about threads, but {shown!r}")
            continue
        first_line = _source(want).lstrip().split("\n", 1)[0].strip()
        if first_line in IGNORE_MARKERS or any(tag in tags for tag in IGNORE_TAGS):
            continue
        expected, actual = visible_text(want["outputs"]), visible_text(got["outputs"])
        for kind in ("stdout", "text/plain"):
            if sanitize(expected[kind], rules) != sanitize(actual[kind], rules):
                problems.append(
                    f"{where}: {kind} differs\n--- committed\n{expected[kind]}\n"
                    f"--- browser\n{actual[kind]}"
                )
    return problems


# What hypothesis calls the input it reports: "Failing test case" in the kit's version (on
# CPython), "Falsifying example" in the older one the site runs (the last pure wheel).
HYPOTHESIS_REPORTS = ("Failing test case", "Falsifying example")


def reports_not_named(cells: list[dict[str, Any]]) -> list[str]:
    """hypothesis report headings a cell shows that the prose after it does not name.

    ``cells`` as the browser gives them (``type``, ``source``, ``outputs``) or as stored
    (``cell_type``, ``source``, ``outputs``).
    """
    kinds = [cell.get("type", cell.get("cell_type")) for cell in cells]
    problems = []
    for index, cell in enumerate(cells):
        if kinds[index] != "code":
            continue
        shown = json.dumps(cell["outputs"])
        after = zip(cells[index + 1 :], kinds[index + 1 :], strict=True)
        prose = next((_source(later) for later, kind in after if kind == "markdown"), "")
        problems += [
            f"code cell {index}: shows {words!r}, the prose after it does not say it"
            for words in HYPOTHESIS_REPORTS
            if words in shown and words not in prose
        ]
    return problems
