"""Which tests a notebook defines: the same answer in a live kernel and in a fresh run.

pytest collects from a namespace whatever it would collect from a file: ``test*``
functions, ``Test*`` classes, ``unittest.TestCase`` subclasses of any name, and fixtures.
In a kernel the namespace also holds what a cell defined before it was edited (a test the
student renamed or deleted) and lacks what ``%%ipytest`` removed. So the tests are kept
per cell: each time a cell runs, the test-like objects it (re)defined replace what that
cell defined before, and cells the frontend reports as deleted drop out. That is what a
fresh top-to-bottom run of the saved notebook, as the batch grader does, would define.
"""

from __future__ import annotations

import types
import unittest
from collections.abc import Iterable, Mapping
from typing import Any

from _pytest.fixtures import FixtureFunctionDefinition


def is_test_like(name: str, value: Any) -> bool:
    """What pytest would collect from a module attribute (default naming rules)."""
    if isinstance(value, FixtureFunctionDefinition):
        return True
    if isinstance(value, type):
        return name.startswith("Test") or issubclass(value, unittest.TestCase)
    return name.startswith("test") and callable(value)


class CellTests:
    """The test-like objects each cell defined the last time it ran, in first-run order."""

    def __init__(self) -> None:
        self._cells: dict[Any, dict[str, Any]] = {}
        self._before: dict[str, int] = {}
        self._cell: Any = None

    def adopt(self, namespace: Mapping[str, Any]) -> None:
        """Take the tests already defined when tracking starts (cells not seen run)."""
        self._before = {}
        self._cell = None
        self.after_cell(namespace)

    def clear(self) -> None:
        """Forget every cell (a new notebook runs in the same shell)."""
        self._cells.clear()

    def before_cell(
        self, namespace: Mapping[str, Any], cell_id: Any, deleted: Iterable[Any] = ()
    ) -> None:
        """Call before a cell runs; ``deleted`` are ids of cells removed from the notebook."""
        for gone in deleted:
            self._cells.pop(gone, None)
        self._cell = cell_id
        self._before = {k: id(v) for k, v in namespace.items() if is_test_like(k, v)}

    def after_cell(self, namespace: Mapping[str, Any]) -> None:
        """Call after the cell ran: what it (re)defined replaces what it defined before."""
        defined = {
            k: v
            for k, v in namespace.items()
            if is_test_like(k, v) and self._before.get(k) != id(v)
        }
        if self._cell is None:  # a frontend without cell ids: one entry per name
            for name, value in defined.items():
                self._cells[("name", name)] = {name: value}
        else:
            self._cells[self._cell] = defined

    def tests(self) -> dict[str, Any]:
        """Every test-like object of the notebook; a later cell's wins a name twice used."""
        merged: dict[str, Any] = {}
        for defined in self._cells.values():
            merged.update(defined)
        return merged


def test_module(namespace: Mapping[str, Any], tests: Mapping[str, Any] | None) -> types.ModuleType:
    """A module for pytest to collect from: the notebook's names, with only ``tests``.

    ``tests=None`` takes the test-like names of ``namespace`` as they are (a plain module,
    or a kernel that registered no cells). The tests' globals stay the notebook's own.
    """
    module = types.ModuleType("notebook")
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        if tests is None or not is_test_like(name, value):
            setattr(module, name, value)
    for name, value in (tests or {}).items():
        setattr(module, name, value)
    return module
