"""A clean run of the batch grader: one notebook's cells and tests, on the kit in this folder.

This is what runs inside each sandboxed run, in a Python started afresh (``exec``) that
never held the grader's data: no catalogue, no plan, no result of another run. It knows
neither which implementation it has (the kit it imports is the copy beside it, see
:mod:`orderkit.classroom.batch.kitcopy`) nor where it stands in the schedule. It:

1. reads ``request.json`` (the cells and the time limit per test) and deletes it;
2. imports the kit, then runs the cells top to bottom with IPython, keeping per cell the
   tests each defined (as ``check()`` does in a kernel);
3. collects the tests with pytest and runs every one of them, in a random order, writing
   one JSON line per event to the result descriptor (fd 3): ``{"tests": [...]}``,
   ``{"uncollected": [what, why]}``, ``{"start": i}``, ``{"ran": i, ...}``, ``{"end": ...}``;
   a request with ``"measure": true`` (the hint run, made only once every test is valid)
   also measures the tests' coverage of the kit: ``{"covered": {file: [[from, to], ...]}}``.

The grader reads those lines as untrusted data
(:func:`orderkit.classroom.batch.cleanrun.parse`): the tests can write to the descriptor
too, and can forge nothing by it that they could not do by their behaviour, since every
run looks the same to them.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import sys
from pathlib import Path
from typing import Any

import ipytest
import pytest

from orderkit.classroom.runtime import cells, guard, measure, testrun
from orderkit.classroom.runtime.collect import test_module

RESULT_FD = 3
PRELOAD = ("orderkit", "orderkit.concurrency", "orderkit.flawed", "orderkit.notebook")
"""Kit modules imported before any cell runs (a cell's hooks then see no kit import)."""


class _Out:
    """The result descriptor, written one JSON line at a time."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event: Any) -> None:
        data = (json.dumps(event) + "\n").encode()
        with contextlib.suppress(OSError):  # the descriptor was closed by a test: nothing sent
            os.write(self.fd, data)


def _name(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[-1]


class _Plugin(testrun.Collecting):
    """Collect, then run every test in a random order instead of pytest's own loop."""

    def __init__(
        self, out: _Out, timeout: float, library: tuple[str, ...], measure_in: str = ""
    ) -> None:
        self.out, self.timeout, self.library = out, timeout, library
        self.measure_in = measure_in  # the hint run: the kit's folder, measured

    def uncollected(self, what: str, why: str) -> None:
        self.out.send(uncollected=[what, why])

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        items = list(session.items)
        self.out.send(tests=[_name(item) for item in items])
        order = list(range(len(items)))
        secrets.SystemRandom().shuffle(order)
        arcs: measure.Arcs = {}
        measuring = (
            measure.measuring(self.measure_in, arcs)
            if self.measure_in
            else contextlib.nullcontext()
        )
        with testrun.same_randomness(), measuring:
            testrun.run_items(
                items,
                order,
                self.timeout,
                lambda i, ran: self.out.send(
                    ran=i, outcome=ran.outcome, message=ran.message, asserted=ran.asserted
                ),
                library=self.library,
                watch=True,
                starting=lambda i: self.out.send(start=i),
            )
        if self.measure_in:
            self.out.send(covered=arcs)
        return True


def main() -> None:
    """Run the request in the working folder; report on :data:`RESULT_FD`."""
    out = _Out(RESULT_FD)
    request = json.loads(Path("request.json").read_text(encoding="utf-8"))
    os.unlink("request.json")
    kit = str(Path(__file__).resolve().parents[3])
    library = (sys.prefix, sys.base_prefix, kit)
    random.seed(testrun.SEED)
    for name in PRELOAD:
        __import__(name)
    from orderkit.notebook import pytest_args

    guard.install(kit, library)

    ran = cells.run_cells(cells.new_shell(), [(i, source) for i, source in request["cells"]])
    module = test_module(ran.shell.user_ns, ran.tests.tests())
    measured = os.path.join(kit, "orderkit") if request.get("measure") else ""
    plugin = _Plugin(out, float(request["timeout"]), library, measured)
    with cells.quiet(cells.Bounded()):
        ipytest.run(
            *pytest_args(),
            *testrun.RUN_ARGS,
            module=module,
            plugins=[plugin],
            raise_on_error=False,
            addopts=[],
            run_in_thread=False,
        )
    out.send(end=True, cells=ran.errors)


if __name__ == "__main__":
    main()
