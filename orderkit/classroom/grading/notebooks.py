"""A notebook file read as data: parsed without running it, and the exercises it is for.

The batch reads every submission this way and ``orderkit bugs check`` reads the teacher's
solutions this way; neither runs a cell here.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import nbformat

from orderkit.classroom.bugs.catalogue import EXERCISES, Exercise
from orderkit.classroom.bugs.errors import UnknownExercise
from orderkit.classroom.errors import ClassroomError


def read_notebook(data: bytes, name: str) -> nbformat.NotebookNode:
    """Parse a submission; any flaw is "not a readable notebook", never a crash."""
    if not name.endswith(".ipynb"):
        raise ClassroomError(f"not a notebook: expected a .ipynb file, got {name!r}")
    try:
        notebook: nbformat.NotebookNode = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # JSON, schema and encoding errors are all one case here
        raise ClassroomError(f"not a readable notebook ({type(error).__name__})") from None
    return notebook


def exercise_of(
    notebook: nbformat.NotebookNode,
    given: str | None,
    known: Mapping[str, Exercise] | None = None,
) -> str | None:
    """The exercise to grade: ``given``, else the one the notebook's metadata names, else
    the one exercise its ``check("id")`` cells name (several: None, see :func:`exercises_of`).

    ``known`` are the exercises that exist (a course's catalogue's; the kit's by default):
    an unknown id is an error, not a silent full catalogue.
    """
    chosen = given or notebook.metadata.get("orderkit", {}).get("exercise")
    if chosen is None:
        held = exercises_of(notebook)
        chosen = held[0] if len(held) == 1 else None
    if chosen is None:
        return None
    known = EXERCISES if known is None else known
    if str(chosen) not in known:
        raise UnknownExercise(chosen, list(known))
    return str(chosen)


def exercises_of(notebook: nbformat.NotebookNode) -> list[str]:
    """Every exercise a notebook holds, in order: what the batch scores one by one.

    Read from the metadata (``"orderkit": {"exercises": [...]}`` or ``{"exercise": id}``),
    which a teacher sets and which then decides alone; without it, from the ``check("id")``
    / ``check(exercise="id")`` calls of its code cells. Each id once. A notebook without
    either holds none (graded on the whole catalogue).
    """
    meta = notebook.metadata.get("orderkit", {})
    found: list[str] = []
    listed = meta.get("exercises", [])
    if isinstance(listed, list):
        found += [str(i) for i in listed if isinstance(i, str)]
    if isinstance(meta.get("exercise"), str):
        found.append(meta["exercise"])
    if found:
        return list(dict.fromkeys(found))
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            found += _checked(str(cell.get("source", "")))
    return list(dict.fromkeys(found))


def _checked(source: str) -> list[str]:
    """The exercise ids of the ``check(...)`` calls in one cell's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # cell magics, a student's half-written line: no check() to read
        return []
    ids = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name != "check":
            continue
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "exercise")]
        ids += [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return ids
