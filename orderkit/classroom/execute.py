"""Run a notebook's code cells in this process with IPython, without a Jupyter kernel.

A kernel takes a while to start and talks over ZeroMQ; IPython's ``InteractiveShell`` runs
the same cells (magics included) in this process. ``orderkit bugs check`` uses it on the
teacher's trusted reference notebooks (the batch grader runs students' notebooks in clean
runs instead: :mod:`orderkit.classroom.runner`).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

import nbformat
from IPython.core.interactiveshell import InteractiveShell

from orderkit.classroom.collect import test_module
from orderkit.classroom.feedback import checks_deferred, track_cells

MAX_OUTPUT = 1_000_000  # characters of cell output kept; a flood beyond is dropped


class OutputFlood(Exception):
    """A cell printed more than a notebook ever needs; it is stopped, the notebook goes on."""


class _BoundedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters, then stops the writer.

    Raising from ``write`` ends a cell that floods its output (a ``print`` in an endless
    loop) at once instead of letting it burn the submission's whole time limit.
    """

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(len(text), room)
        self.dropped += max(0, len(text) - max(room, 0))
        if self.dropped:
            raise OutputFlood(f"more than {self.limit} characters of output")
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


@dataclass
class Executed:
    """What running a notebook left behind: its namespace, its tests, its cells' errors."""

    module: ModuleType
    errors: list[str] = field(default_factory=list)
    dropped_output: int = 0


@contextlib.contextmanager
def _captured(sink: _BoundedText) -> Iterator[None]:
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def run_notebook(notebook: nbformat.NotebookNode) -> Executed:
    """Run every code cell of ``notebook`` in order; keep going after a failing cell.

    The cells run as in a kernel, magics included, each with its cell id, so the tests are
    tracked per cell exactly as ``check()`` tracks them in a live kernel. The student's
    own ``check()`` calls grade nothing here: the tests are graded once, afterwards.
    """
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)  # a notebook run after another starts from nothing
    registry = track_cells(shell)
    registry.clear()
    sink = _BoundedText()
    errors = []
    with _captured(sink), checks_deferred("graded by the batch grader after the notebook ran"):
        for index, cell in enumerate(notebook.cells, start=1):
            if cell.get("cell_type") != "code" or not str(cell.get("source", "")).strip():
                continue
            result = shell.run_cell(
                str(cell.source), store_history=False, cell_id=cell.get("id") or f"cell-{index}"
            )
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                errors.append(f"cell {index}: {type(error).__name__}: {error}"[:200])
    return Executed(test_module(shell.user_ns, registry.tests()), errors, sink.dropped)
