"""Line and branch coverage of a suite: pytest with pytest-cov, in a fresh process."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.suite_quality.suite import (
    KIT,
    QUIET,
    SERVICES,
    SuiteRunError,
    TestFunction,
    run_tool,
    temporary_project,
)


@dataclass(frozen=True)
class CoverageRun:
    """What coverage.py reported for a suite: its command line, outcome and table."""

    command: str
    tests: str
    table: str

    def __str__(self) -> str:
        return f"{self.tests}\n\n{self.table}"

    def missed(self, module: str) -> list[int]:
        """The line numbers of ``module`` (``"orders.py"``) that no test ran."""
        row = next(
            (r for r in self.table.splitlines() if r.startswith(f"orderkit/{module} ")), None
        )
        if row is None:
            raise SuiteRunError(f"{module} is not in this coverage report")
        lines: list[int] = []
        for entry in row.partition("%")[2].split(","):
            first, _, last = entry.strip().partition("-")
            if first.isdigit() and (last.isdigit() or not last):  # not a branch, 48->50
                lines += range(int(first), int(last or first) + 1)
        return lines

    def missed_in(self, function: Callable[..., Any]) -> list[str]:
        """The lines of one of the kit's functions that no test ran, with their numbers."""
        function = inspect.unwrap(function)
        source, first = inspect.getsourcelines(function)
        missed = set(self.missed(Path(inspect.getfile(function)).name))
        return [
            f"{number}: {text.rstrip()}"
            for number, text in enumerate(source, start=first)
            if number in missed
        ]


def coverage_command(modules: Sequence[str] = SERVICES) -> list[str]:
    """pytest with pytest-cov: line and branch coverage of ``modules`` of the kit."""
    targets = [f"--cov=orderkit.{Path(module).stem}" for module in modules]
    return ["pytest", *targets, "--cov-branch", "--cov-report=term-missing", "tests"]


def _coverage_table(output: str) -> str:
    """coverage's table from pytest's output."""
    lines = output.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
        end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    except StopIteration:
        raise SuiteRunError(f"no coverage table in pytest's output:\n{output}") from None
    return "\n".join(lines[start : end + 1])


def _outcome(output: str) -> str:
    """pytest's last line, such as ``3 passed``, without its timing."""
    found = re.findall(
        r"^=*\s*(\d+ (?:passed|failed|error).*?)(?: in [\d.]+s)?\s*=*$", output, flags=re.MULTILINE
    )
    if not found:
        raise SuiteRunError(f"pytest printed no outcome:\n{output}")
    return str(found[-1])


def measure_coverage(
    tests: Sequence[TestFunction], modules: Sequence[str] = SERVICES
) -> CoverageRun:
    """Run ``tests`` under pytest-cov in a fresh process; return coverage's report.

    The process runs in the folder that holds the kit, so that coverage names its files
    ``orderkit/...`` wherever it is installed; its data file goes to the temporary folder.
    """
    command = coverage_command(modules)
    with temporary_project(tests) as root:
        arguments = [*command[:-1], str(root / "tests"), "--rootdir", str(root)]
        done = run_tool(
            [sys.executable, "-m", *arguments, *QUIET, "-q", "--color=no"],
            KIT.parent,
            COVERAGE_FILE=str(root / ".coverage"),
        )
    if "coverage:" not in done.stdout:
        raise SuiteRunError(f"pytest --cov failed:\n{done.stdout}{done.stderr}")
    return CoverageRun(" ".join(command), _outcome(done.stdout), _coverage_table(done.stdout))
