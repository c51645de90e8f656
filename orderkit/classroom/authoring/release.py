"""Student versions of instructor notebooks, written the way ``nbgrader generate_assignment`` does.

Two source formats are understood, chosen per notebook:

* **nbgrader's** (some cell has ``metadata.nbgrader``, schema version 3): the result is what
  nbgrader 0.9 writes with its default configuration, so nbgrader can still collect and grade
  it. Solution regions (``BEGIN SOLUTION`` / ``END SOLUTION``) become the stub
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the marker's indentation, or
  ``YOUR ANSWER HERE`` in markdown; a solution cell without markers becomes the stub as a
  whole; ``HIDDEN TESTS`` regions (grade cells) and ``MARK SCHEME`` regions (task cells) are
  removed; solution cells are made undeletable, grade and read-only cells also uneditable;
  grade, solution and read-only cells get nbgrader's checksum. A marker counts wherever its
  text appears in a line, as in nbgrader.
* **markers only** (orderkit's own exercises): the same regions, with two differences that
  suit exercises checked by ``check()``: a solution region at top level becomes the comment
  ``# YOUR CODE HERE`` alone (no ``raise`` that would stop "Run all"), and a cell left empty
  by removing hidden tests is dropped.

Outputs, execution counts and saved widget state are cleared in both. Anything that cannot
be released without risking an answer in the student version, or that nbgrader itself would
refuse, stops the release with :class:`UnreleasableCell`, naming the notebook, the cell
and its ``grade_id``: nothing is guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from orderkit.classroom.authoring.errors import ReleaseError

# nbgrader's ClearSolutions.code_stub and text_stub defaults (nbgrader 0.9.6).
CODE_STUBS = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
    "R": "# YOUR CODE HERE\nfail()",
    "matlab": "% YOUR CODE HERE\nerror('No Answer Given!')",
    "octave": "% YOUR CODE HERE\nerror('No Answer Given!')",
    "sas": "/* YOUR CODE HERE */\n %notImplemented;",
    "java": "// YOUR CODE HERE",
}
TEXT_STUB = "YOUR ANSWER HERE"
NBGRADER_SCHEMA_VERSION = 3  # the cell-metadata schema nbgrader 0.9 reads and writes

# Region kind -> (begin, end) delimiters, nbgrader's defaults.
_DELIMITERS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}
# A line that looks like a marker but is not one ("### Begin Solution", "BEGIN HIDDEN TEST"):
# nbgrader would keep it, and the answer after it, so it is refused instead.
_LOOKALIKE = re.compile(
    r"\b(?:begin|end)[\s_-]*(?:solution|hidden[\s_-]*tests?|mark[\s_-]*scheme)", re.IGNORECASE
)
_KEYS = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points"}
_KEYS |= {"checksum", "cell_type"}
_GRADE_ID = re.compile(r"[a-zA-Z0-9_\-]*")
_NO_STUB = (
    f"a code solution, but the notebook's kernel language has no stub ({', '.join(CODE_STUBS)})"
)


class UnreleasableCell(ReleaseError):
    """A cell that cannot be released without risking an answer or nbgrader's format."""

    def __init__(self, notebook: str, cell: int, grade_id: str | None, reason: str) -> None:
        self.notebook, self.cell, self.grade_id, self.reason = notebook, cell, grade_id, reason
        named = f" (grade_id {grade_id!r})" if grade_id else ""
        super().__init__(f"{notebook}: cell {cell}{named}: {reason}")


@dataclass(frozen=True)
class Released:
    """What releasing one notebook did."""

    source: Path
    target: Path
    solutions: int
    hidden: int  # hidden-test and mark-scheme regions removed


class _Refused(Exception):
    """Why one cell is refused; :func:`student_version` adds the notebook and the cell."""


def _clear_regions(
    source: str, stub: list[str] | None, top_level_stub: list[str] | None
) -> tuple[list[str], Counter[str]]:
    """Return the lines of ``source`` with solutions stubbed and the other regions removed.

    A stub of ``None`` means the cell's language has none: a solution region is refused.
    """
    out: list[str] = []
    found: Counter[str] = Counter()
    open_kind: str | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        marks = [
            (kind, edge)
            for kind, pair in _DELIMITERS.items()
            for edge, delimiter in zip(("BEGIN", "END"), pair, strict=True)
            if delimiter in line
        ]
        if len(marks) > 1:
            raise _Refused(f"line {number}: more than one marker in {line.strip()!r}")
        if not marks:
            if _LOOKALIKE.search(line):
                raise _Refused(
                    f"line {number}: {line.strip()!r} looks like a marker but is not one "
                    "(write '### BEGIN SOLUTION', '### END SOLUTION', ...)"
                )
            if open_kind is None:
                out.append(line)
            continue
        (kind, edge), marker = marks[0], line.strip()
        if edge == "BEGIN":
            if open_kind is not None:
                raise _Refused(f"line {number}: {marker!r} inside a {open_kind} region")
            open_kind = kind
            if kind == "solution":
                indent = line[: len(line) - len(line.lstrip())]
                lines = top_level_stub if indent == "" else stub
                if lines is None:
                    raise _Refused(_NO_STUB)
                out += [indent + stub_line for stub_line in lines]
        elif open_kind != kind:
            raise _Refused(f"line {number}: {marker!r} without its BEGIN")
        else:
            found[kind], open_kind = found[kind] + 1, None
    if open_kind is not None:
        raise _Refused(f"a {open_kind} region is never closed")
    return out, found


def _check_nbgrader_metadata(meta: Any, cell_type: str) -> None:
    """Refuse cell metadata that nbgrader's own validator (schema v3) would refuse."""
    if not isinstance(meta, dict):
        raise _Refused("metadata.nbgrader is not an object")
    version = meta.get("schema_version", 0)
    if version != NBGRADER_SCHEMA_VERSION or isinstance(version, bool):
        raise _Refused(
            f"nbgrader metadata schema version {version!r}, orderkit knows "
            f"{NBGRADER_SCHEMA_VERSION} (older notebooks: run `nbgrader update` first)"
        )
    if extra := sorted(set(meta) - _KEYS):
        raise _Refused(f"unknown nbgrader metadata {', '.join(extra)}")
    for flag in ("grade", "locked", "solution", "task"):
        if not isinstance(meta.get(flag, False), bool) or (flag != "task" and flag not in meta):
            raise _Refused(f"nbgrader metadata {flag!r} must be true or false")
    grade_id = meta.get("grade_id", "")
    if not isinstance(grade_id, str) or not _GRADE_ID.fullmatch(grade_id):
        raise _Refused("nbgrader grade_id must use only letters, digits, '_' and '-'")
    if (meta["grade"] or meta["solution"] or meta["locked"]) and not grade_id:
        raise _Refused("nbgrader cell has no grade_id")
    points = meta.get("points", 0)
    if meta["grade"] and "points" not in meta:
        raise _Refused("nbgrader grade cell has no points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise _Refused("nbgrader points must be a number >= 0")
    if meta.get("task", False) and cell_type != "markdown":
        raise _Refused("nbgrader task cells must be markdown")
    if (
        not meta.get("task", False)
        and cell_type == "markdown"
        and meta["grade"] != meta["solution"]
    ):
        raise _Refused("nbgrader markdown answers must be both grade and solution cells")


def _checksum(cell: nbformat.NotebookNode, meta: dict[str, Any]) -> str:
    """nbgrader's ``utils.compute_checksum``: how it tells a changed cell from its release."""
    locked = not meta["solution"] and (meta["grade"] or meta["locked"])
    parts = [cell.source, cell.cell_type, str(meta["grade"]), str(meta["solution"])]
    parts += [str(locked), meta["grade_id"]]
    if meta["grade"]:
        parts.append(str(float(meta["points"])))
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def _lock(cell: nbformat.NotebookNode, meta: dict[str, Any]) -> None:
    """nbgrader's LockCells defaults, then its ComputeChecksums."""
    if meta["solution"]:
        cell.metadata["deletable"] = False
    elif meta["grade"] or meta["locked"]:
        cell.metadata["deletable"] = cell.metadata["editable"] = False
    if meta["grade"] or meta["solution"] or meta["locked"]:
        meta["checksum"], meta["cell_type"] = _checksum(cell, meta), cell.cell_type


def _release_cell(
    cell: nbformat.NotebookNode, nbgrader: bool, code_stub: list[str] | None
) -> tuple[bool, Counter[str]]:
    """Turn ``cell`` into its student version in place; return (keep it?, regions found)."""
    meta = cell.metadata.get("nbgrader")
    if cell.cell_type not in ("code", "markdown", "raw"):
        raise _Refused(f"unknown cell type {cell.cell_type!r}")
    if nbgrader and meta is not None:
        _check_nbgrader_metadata(meta, cell.cell_type)
    meta = meta or {}
    if cell.cell_type == "raw":
        if meta.get("solution") or _LOOKALIKE.search(cell.source):
            raise _Refused("a solution or marker in a raw cell (make it a code or markdown cell)")
        return True, Counter()
    if cell.cell_type == "code" and "AUTOTEST" in cell.source:
        raise _Refused("nbgrader AUTOTEST needs a kernel to write the tests; orderkit cannot")
    if cell.cell_type == "code":  # markers only: a top-level region gets the comment alone
        top_level = code_stub if nbgrader or code_stub is None else code_stub[:1]
        lines, found = _clear_regions(cell.source, code_stub, top_level)
    else:
        lines, found = _clear_regions(cell.source, [TEXT_STUB], [TEXT_STUB])
    if nbgrader:
        for kind, flag in (("solution", "solution"), ("hidden", "grade"), ("mark scheme", "task")):
            if found[kind] and not meta.get(flag, False):
                raise _Refused(f"a {kind} region in a cell that is not an nbgrader {flag} cell")
    whole = bool(meta.get("solution")) and not found["solution"]
    if (whole or found.total()) and cell.get("attachments"):
        raise _Refused("attachments in a cell with an answer (they would reach the student)")
    if whole:
        if cell.cell_type == "code" and code_stub is None:
            raise _Refused(_NO_STUB)
        lines = code_stub if cell.cell_type == "code" and code_stub else [TEXT_STUB]
        found["solution"] += 1
    cell.source = "\n".join(lines) if nbgrader else "\n".join(lines).rstrip("\n")
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
        for field in ("collapsed", "scrolled"):  # nbconvert's ClearOutput drops these too
            cell.metadata.pop(field, None)
    if nbgrader and meta:
        _lock(cell, meta)
    return nbgrader or bool(cell.source.strip()) or not found["hidden"], found


def student_version(
    notebook: nbformat.NotebookNode, name: str = "notebook"
) -> tuple[nbformat.NotebookNode, int, int]:
    """Return a student copy of ``notebook`` and how many solutions and hidden regions it had.

    Raises :class:`UnreleasableCell` for the first cell it cannot release safely.
    """
    student = nbformat.from_dict(notebook)  # a deep copy: the instructor version stays as is
    nbgrader = any("nbgrader" in cell.metadata for cell in student.cells)
    stub = CODE_STUBS.get(student.metadata.get("kernelspec", {}).get("language", "python"))
    code_stub = None if stub is None else stub.split("\n")
    cells, totals, grade_ids = [], Counter[str](), dict[str, int]()
    for number, cell in enumerate(student.cells, start=1):
        meta = cell.metadata.get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        grade_id = grade_id if isinstance(grade_id, str) and grade_id else None
        try:
            keep, found = _release_cell(cell, nbgrader, code_stub)
        except _Refused as refused:
            raise UnreleasableCell(name, number, grade_id, str(refused)) from None
        if grade_id and any(meta.get(flag) for flag in ("grade", "solution", "locked")):
            if grade_id in grade_ids:
                reason = f"grade_id is also the one of cell {grade_ids[grade_id]}"
                raise UnreleasableCell(name, number, grade_id, reason)
            grade_ids[grade_id] = number
        totals += found
        if keep:
            cells.append(cell)
    student.cells = cells
    student.metadata.pop("widgets", None)  # saved widget state belongs to the outputs
    student.metadata.pop("celltoolbar", None)  # nbgrader drops its "Create Assignment" bar
    return student, totals["solution"], totals["hidden"] + totals["mark scheme"]


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
