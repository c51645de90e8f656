"""Show the hardening tests' own numbers (such as Hypothesis example counts) in the summary.

A test reports a number with the ``record_property`` fixture; pytest keeps it on the test's
report, and this hook prints every such number near the end of the run, even without
``-s`` (which ``make test`` does not pass, so a ``print`` would be swallowed).
"""

from __future__ import annotations

import pytest

REPORTED = ("hypothesis",)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        f"{report.nodeid}: {value}"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in report.user_properties
        if name in REPORTED
    ]
    if lines:
        terminalreporter.write_sep("-", "hardening numbers")
        for line in lines:
            terminalreporter.write_line(line)
