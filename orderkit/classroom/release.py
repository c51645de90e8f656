"""Student versions of instructor notebooks: solutions stubbed, hidden tests removed.

The markers are the ones teachers know from nbgrader:

* ``### BEGIN SOLUTION`` / ``### END SOLUTION``: in a code cell, the lines between are
  replaced by ``# YOUR CODE HERE`` and, inside an indented block, ``raise
  NotImplementedError()`` (so a stubbed test reports "not written yet"); in a markdown cell,
  by ``YOUR ANSWER HERE``.
* ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``: the lines are removed, markers
  included; a cell left empty is dropped.

Outputs and execution counts are cleared, so the student starts from a clean notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from orderkit.errors import ReleaseError

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass(frozen=True)
class Released:
    """What releasing one notebook did."""

    source: Path
    target: Path
    solutions: int
    hidden: int


def _strip_regions(lines: list[str], *, code: bool, where: str) -> tuple[list[str], int, int]:
    """Return ``lines`` with solutions stubbed and hidden tests removed, and the counts."""
    out: list[str] = []
    solutions = hidden = 0
    open_marker: str | None = None
    indent = ""
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if open_marker is not None:
                raise ReleaseError(f"{where}, line {number}: {marker!r} inside {open_marker!r}")
            open_marker, indent = marker, line[: len(line) - len(line.lstrip())]
        elif marker in (END_SOLUTION, END_HIDDEN):
            expected = END_SOLUTION if open_marker == BEGIN_SOLUTION else END_HIDDEN
            if open_marker is None or marker != expected:
                raise ReleaseError(f"{where}, line {number}: {marker!r} without its BEGIN")
            if open_marker == BEGIN_SOLUTION:
                solutions += 1
                out.append(f"{indent}# YOUR CODE HERE\n" if code else "YOUR ANSWER HERE\n")
                if code and indent:
                    out.append(f"{indent}raise NotImplementedError()\n")
            else:
                hidden += 1
            open_marker = None
        elif open_marker is None:
            out.append(line)
    if open_marker is not None:
        raise ReleaseError(f"{where}: {open_marker!r} is never closed")
    return out, solutions, hidden


def student_version(
    notebook: nbformat.NotebookNode, name: str = "notebook"
) -> tuple[nbformat.NotebookNode, int, int]:
    """Return a student copy of ``notebook`` and how many solutions and hidden regions it had."""
    student = nbformat.from_dict(notebook)
    cells = []
    solutions = hidden = 0
    for index, cell in enumerate(student.cells):
        where = f"{name}: cell {index + 1}"
        if cell.cell_type in ("code", "markdown"):
            lines = cell.source.splitlines(keepends=True)
            new, found_solutions, found_hidden = _strip_regions(
                lines, code=cell.cell_type == "code", where=where
            )
            solutions, hidden = solutions + found_solutions, hidden + found_hidden
            if found_hidden and not "".join(new).strip():
                continue
            cell.source = "".join(new).rstrip("\n")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    student.cells = cells
    student.metadata.pop("widgets", None)  # saved widget state belongs to the outputs
    return student, solutions, hidden


def release(sources: list[Path], out: Path) -> list[Released]:
    """Write a student version of each source notebook into ``out``; return what was done.

    Every source is read and checked before anything is written, so a bad marker in one
    notebook leaves ``out`` untouched.
    """
    planned = []
    for source in sources:
        if source.suffix != ".ipynb":
            raise ReleaseError(f"{source}: not a notebook (expected a .ipynb file)")
        try:
            notebook = nbformat.read(source, as_version=4)
        except FileNotFoundError:
            raise ReleaseError(f"{source}: no such file") from None
        except Exception as error:  # nbformat raises several unrelated types
            raise ReleaseError(f"{source}: not a readable notebook ({error})") from None
        target = out / source.name
        if target.resolve() == source.resolve():
            raise ReleaseError(f"{source}: --out would overwrite the instructor version")
        planned.append((source, target, *student_version(notebook, source.name)))
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for source, target, student, solutions, hidden in planned:
        nbformat.write(student, target)
        done.append(Released(source, target, solutions, hidden))
    return done
