"""Run a notebook's code cells with IPython, without a kernel, keeping each cell's tests.

Both places that run a whole notebook outside a kernel use this: a clean run of the batch
(:mod:`orderkit.classroom.runtime.runner`, on a student's cells) and ``orderkit bugs
check`` (:mod:`orderkit.classroom.authoring.execute`, on a teacher's solutions). IPython's
``InteractiveShell`` runs the cells as a kernel would (magics included), each with its id,
so the tests are tracked per cell exactly as ``check()`` tracks them in a live kernel.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from orderkit.classroom.runtime.collect import CellTests

MAX_OUTPUT = 1_000_000  # characters of cell output allowed; a flood beyond stops the cell


class OutputFlood(Exception):
    """A cell printed more than a notebook ever needs; it is stopped, the notebook goes on."""


class Bounded(io.TextIOBase):
    """A sink that counts what is written and stops the writer past :data:`MAX_OUTPUT`.

    Raising from ``write`` ends a cell that floods its output (a ``print`` in an endless
    loop) at once instead of letting it burn the run's whole time limit.
    """

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.limit = limit
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written += len(text)
        if self.written > self.limit:
            raise OutputFlood(f"more than {self.limit} characters of output")
        return len(text)


@contextlib.contextmanager
def quiet(sink: io.TextIOBase) -> Iterator[None]:
    """Send standard output and errors to ``sink`` and silence warnings inside the block."""
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


@dataclass
class Ran:
    """What running the cells left: the shell, each cell's tests, the cells' errors."""

    shell: Any
    tests: CellTests
    errors: list[str] = field(default_factory=list)

    @property
    def cut_off(self) -> bool:
        """Whether a cell was stopped for flooding its output."""
        return any(error.split(": ", 2)[1] == OutputFlood.__name__ for error in self.errors)


def new_shell() -> Any:
    """A fresh IPython shell with history off (no history thread, no database)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.reset(new_session=False)  # a notebook run after another starts from nothing
    return shell


def run_cells(shell: Any, cells: Sequence[tuple[str, str]]) -> Ran:
    """Run ``cells`` (id, source) in order, keeping going after a failing cell."""
    registry = CellTests()
    registry.adopt(shell.user_ns)

    def before(info: Any) -> None:
        registry.before_cell(shell.user_ns, getattr(info, "cell_id", None))

    def after(result: Any) -> None:
        registry.after_cell(shell.user_ns)

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    ran = Ran(shell, registry)
    try:
        with quiet(Bounded()):
            for number, (cell_id, source) in enumerate(cells, start=1):
                result = shell.run_cell(source, store_history=False, cell_id=cell_id)
                error = result.error_before_exec or result.error_in_exec
                if error is not None:
                    ran.errors.append(f"cell {number}: {type(error).__name__}: {error}"[:200])
    finally:
        shell.events.unregister("pre_run_cell", before)
        shell.events.unregister("post_run_cell", after)
    return ran
