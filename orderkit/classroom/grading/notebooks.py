"""A notebook file read as data: parsed without running it, and the exercise it is for.

The batch reads every submission this way and ``orderkit bugs check`` reads the teacher's
solutions this way; neither runs a cell here.
"""

from __future__ import annotations

import nbformat

from orderkit.classroom.bugs.catalogue import exercise
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


def exercise_of(notebook: nbformat.NotebookNode, given: str | None) -> str | None:
    """The exercise to grade: ``given``, else the one the notebook's metadata names."""
    chosen = given or notebook.metadata.get("orderkit", {}).get("exercise")
    if chosen is not None:
        exercise(str(chosen))  # an unknown id is an error, not a silent full catalogue
    return None if chosen is None else str(chosen)
