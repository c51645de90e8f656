"""Build exercise notebooks from cells, run them in a real kernel, grade them as a class."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbclient
import nbformat

from tests.classroom.cli import run_orderkit

VERDICT = """
import json as _json
_result = check({exercise!r})
print("VERDICT" + _json.dumps({{
    "caught": sorted(c.name for c in _result.chaffs if c.caught),
    "valid": sorted(_result.valid),
    "invalid": sorted(_result.invalid),
    "tests": sorted(_result.tests),
    "error": _result.error,
    "isolation": _result.isolation,
}}))
"""


def notebook(cells: Sequence[str], exercise: str = "unit-tests") -> nbformat.NotebookNode:
    """A notebook of code cells, tagged with its exercise as the shipped ones are."""
    book: nbformat.NotebookNode = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["orderkit"] = {"exercise": exercise}
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return book


def write(folder: Path, name: str, book: nbformat.NotebookNode) -> Path:
    path = folder / f"{name}.ipynb"
    nbformat.write(book, path)
    return path


def check_in_kernel(
    book: nbformat.NotebookNode,
    folder: Path,
    exercise: str = "unit-tests",
    env: dict[str, str] | None = None,
    verdict: str = VERDICT,
) -> dict[str, Any]:
    """Run ``book`` in a real Jupyter kernel, then check() there, as a student does.

    ``verdict`` is the code that calls check() and prints ``VERDICT`` and a JSON object.
    """
    graded = nbformat.from_dict(book)
    graded.cells.append(
        nbformat.v4.new_code_cell(
            "from orderkit.classroom import check\n" + verdict.format(exercise=exercise)
        )
    )
    client = nbclient.NotebookClient(
        graded,
        timeout=120,
        allow_errors=True,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(folder)}},
        kernel_name="python3",
    )
    if env is None:
        client.execute()
    else:
        client.execute(env=env)
    for output in graded.cells[-1].outputs:
        text = output.get("text", "")
        for line in text.splitlines():
            if line.startswith("VERDICT"):
                return dict(json.loads(line.removeprefix("VERDICT")))
    raise AssertionError(f"check() printed no verdict: {graded.cells[-1].outputs}")


def grade_class(
    paths: Sequence[Path], out: Path, *args: str, cwd: Path | None = None
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]], Any]:
    """Run ``orderkit grade``; return (CSV rows by student, results by student, process)."""
    done = run_orderkit("grade", *paths, "--out", out, "--quiet", *args, cwd=cwd)
    folder = out if out.is_absolute() else (cwd or Path.cwd()) / out
    with (folder / "grades.csv").open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    results = {}
    for saved in (folder / "results").glob("*.json"):
        data = json.loads(saved.read_text(encoding="utf-8"))
        results[data["student"]] = data
    return rows, results, done


def verdict_of(saved: dict[str, Any]) -> dict[str, Any]:
    """The same fields as :data:`VERDICT`, from a submission's saved result."""
    result = saved["result"]
    verdicts = result["verdicts"]
    return {
        "caught": sorted(c["name"] for c in result["chaffs"] if c["caught_by"]),
        "valid": sorted(v["name"] for v in verdicts if v["status"] == "valid"),
        "invalid": sorted(
            v["name"] for v in verdicts if v["status"] not in ("valid", "not-written")
        ),
        "tests": sorted(v["name"] for v in verdicts),
    }
