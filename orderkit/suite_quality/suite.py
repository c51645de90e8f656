"""A suite to measure: its test functions written to a temporary folder, and a tool run on it.

Both lesson 09's tools run in a fresh Python process, never in the notebook's kernel:
coverage.py only sees the lines that run after it starts, and a kernel imported the kit
long before; mutmut forks a child per mutant and must import its mutated copy of the kit
in place of the installed one.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orderkit
from orderkit.errors import OrderkitError
from orderkit.notebook import QUIET_PLUGINS

KIT = Path(orderkit.__file__).resolve().parent
"""The installed kit's package folder: what coverage measures and mutmut copies."""

SERVICES = ("orders.py", "inventory.py")
"""The modules lesson 09 measures: the two services."""

TIMEOUT = 300  # seconds for one tool run; a run of the lesson takes a few seconds

QUIET = [arg for plugin in QUIET_PLUGINS for arg in ("-p", f"no:{plugin}")]
"""pytest options: none of the plugins a notebook's test run does without."""

TestFunction = Callable[..., Any]


class SuiteRunError(OrderkitError, RuntimeError):
    """A coverage or mutation run could not be made, or did not finish."""


def suite_source(tests: Sequence[TestFunction]) -> str:
    """The source of a test module holding ``tests``, under the imports they may use."""
    if not tests:
        raise SuiteRunError("a suite needs at least one test function")
    bodies = []
    for test in tests:
        if not callable(test) or not test.__name__.startswith("test"):
            raise SuiteRunError(f"{test!r} is not a test function (its name starts with test)")
        try:
            bodies.append(textwrap.dedent(inspect.getsource(test)))
        except (OSError, TypeError) as error:
            raise SuiteRunError(f"cannot read the source of {test.__name__}: {error}") from None
    names = ", ".join(sorted(orderkit.__all__))
    header = f"import pytest\n\nfrom orderkit import {names}\n"
    return "\n\n".join([header, *bodies])


@contextmanager
def temporary_project(tests: Sequence[TestFunction]) -> Iterator[Path]:
    """A temporary folder with ``tests/test_suite.py``; removed afterwards."""
    source = suite_source(tests)
    with tempfile.TemporaryDirectory(prefix="orderkit-suite-") as folder:
        root = Path(folder)
        (root / "tests").mkdir()
        (root / "tests" / "test_suite.py").write_text(source)
        yield root


def run_tool(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "NO_COLOR": "1", **env}
    env.pop("PYTEST_ADDOPTS", None)
    try:
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise SuiteRunError(f"{command[2]} did not finish within {TIMEOUT} s") from None
