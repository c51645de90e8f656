"""Helpers for classroom tests: turn test source into a module, as a notebook would hold it."""

from __future__ import annotations

import textwrap
import types
from collections.abc import Callable

import pytest

HEADER = """
import pytest
from orderkit import InsufficientStock, InventoryService, MemoryStore, OrderService, SqliteStore
"""


@pytest.fixture
def student_module() -> Callable[[str], types.ModuleType]:
    """Build a module from test source, as the tests of a notebook would be defined."""

    def build(source: str) -> types.ModuleType:
        module = types.ModuleType("student_notebook")
        exec(HEADER + textwrap.dedent(source), module.__dict__)
        return module

    return build
