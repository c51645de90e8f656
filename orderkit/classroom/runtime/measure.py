"""Which of the kit's lines and branches a run of the tests took: coverage.py, in a run.

The hint run (one more run of every test on the reference, only once every test is valid)
measures with coverage.py's public API, branch coverage on, the kit's files only. What it
finds feeds the coverage hints alone, never a verdict. Both kinds of run use it: ``check()``'s
(:mod:`orderkit.classroom.grading.runs`) and the batch's clean runs
(:mod:`orderkit.classroom.runtime.runner`), so it imports nothing of the kit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

Arcs = dict[str, list[tuple[int, int]]]
"""Per file (as its code names it), the arcs taken: (from line, to line), as coverage.py
records them (a negative line: entering or leaving the code object starting there)."""


def available() -> bool:
    """Whether coverage.py can be imported here (the browser's kernel may not have it)."""
    try:
        import coverage  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def measuring(folder: str, into: Arcs) -> Iterator[None]:
    """Measure the block: the arcs taken in the files under ``folder`` (the kit's own,
    its classroom tools left out) go into ``into``, keyed by their path under ``folder``."""
    import coverage

    root = os.path.abspath(folder).rstrip("/") + "/"
    cov = coverage.Coverage(
        branch=True,
        data_file=None,
        config_file=False,
        include=[f"{root}*"],
        omit=[f"{root}classroom/*", f"{root}cli/*"],
    )
    cov.start()
    try:
        yield
    finally:
        cov.stop()
        data = cov.get_data()
        for path in data.measured_files():
            if path.startswith(root):
                into[path[len(root) :]] = sorted(data.arcs(path) or ())
