"""How good is a suite? Lesson 09 measures one with coverage.py and with mutmut.

Both tools run in a fresh Python process, on a copy of the suite written to a temporary
folder, never in the notebook's kernel:

* coverage.py only sees the lines that run after it starts, and a kernel imported the kit
  long before (every ``def`` and ``class`` line would be reported as never run);
* mutmut copies the package it mutates, forks a child per mutant and must import its
  mutated copy of the kit in place of the installed one.

The suite is a list of test functions defined in the notebook; their source is written to
``tests/test_suite.py`` under the imports a lesson's tests use (``pytest`` and every name
``orderkit`` exports). A run returns plain data (:class:`CoverageRun`,
:class:`MutationRun`) that can be stored as JSON, so that a browser, which can start no
process, can show a run recorded on CPython.
"""

from orderkit.suite_quality.coverage_run import CoverageRun, coverage_command, measure_coverage
from orderkit.suite_quality.hand_made import hand_made_mutant
from orderkit.suite_quality.mutation_run import (
    FATES,
    Mutant,
    MutationRun,
    NoTestRunsTheMutants,
    run_mutmut,
)
from orderkit.suite_quality.stored import Run, recording, stored_run
from orderkit.suite_quality.suite import SERVICES, SuiteRunError, TestFunction, suite_source

__all__ = [
    "FATES",
    "SERVICES",
    "CoverageRun",
    "Mutant",
    "MutationRun",
    "NoTestRunsTheMutants",
    "Run",
    "SuiteRunError",
    "TestFunction",
    "coverage_command",
    "hand_made_mutant",
    "measure_coverage",
    "recording",
    "run_mutmut",
    "stored_run",
    "suite_source",
]
