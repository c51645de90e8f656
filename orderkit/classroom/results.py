"""What grading a set of tests found: a plain result object, usable with or without widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from orderkit.classroom.implementations import Implementation, Level
from orderkit.classroom.runner import TestRun


@dataclass(frozen=True)
class ChaffResult:
    """One bug of the catalogue: caught or not, and by which valid test (the first to fail)."""

    name: str
    title: str
    level: Level
    hint: str
    caught_by: tuple[str, ...]

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of running a student's tests on the correct code and on every chaff.

    A test is *valid* if it passes on the correct implementation; only valid tests can catch
    a chaff (a test that fails everywhere proves nothing). A test that raises
    ``NotImplementedError`` on correct code is *not written yet*.
    """

    tests: tuple[str, ...]
    invalid: dict[str, str] = field(default_factory=dict)
    not_written: tuple[str, ...] = ()
    chaffs: tuple[ChaffResult, ...] = ()
    timeouts: tuple[tuple[str, str], ...] = ()

    @property
    def valid(self) -> tuple[str, ...]:
        """Tests that pass on correct code."""
        return tuple(t for t in self.tests if t not in self.invalid and t not in self.not_written)

    @property
    def caught(self) -> int:
        return sum(chaff.caught for chaff in self.chaffs)

    @property
    def score(self) -> float:
        """Share of chaffs caught, 0.0 to 1.0 (0.0 when there is nothing to catch)."""
        return self.caught / len(self.chaffs) if self.chaffs else 0.0

    def summary(self) -> str:
        """One line: tests valid, bugs caught."""
        return (
            f"{len(self.valid)} of {len(self.tests)} tests pass on correct code; "
            f"caught {self.caught} of {len(self.chaffs)} bugs"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        for test, message in self.invalid.items():
            lines.append(f"  ! {test} fails on correct code: {message}")
        for test in self.not_written:
            lines.append(f"  . {test} is not written yet")
        for test, bug in self.timeouts:
            lines.append(f"  ~ {test} was cut off (too slow) on bug {bug!r}")
        for chaff in self.chaffs:
            mark = "x" if chaff.caught else " "
            line = f"  [{mark}] {chaff.title} ({chaff.level})"
            if not chaff.caught:
                line += f"\n        hint: {chaff.hint}"
            lines.append(line)
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        from orderkit.classroom.scoreboard import Scoreboard

        display(Scoreboard(self))


def summarise(
    tests: Sequence[str],
    runs: Sequence[TestRun],
    wheat: Implementation,
    chaffs: Sequence[Implementation],
) -> CheckResult:
    """Turn raw test runs into a :class:`CheckResult`."""
    on_wheat = {run.test: run for run in runs if run.implementation == wheat.name}
    not_written = tuple(t for t in tests if on_wheat.get(t, _PASSED).outcome == "not-written")
    invalid = {
        t: on_wheat[t].message
        for t in tests
        if t in on_wheat and on_wheat[t].outcome in ("failed", "timeout")
    }
    valid = {t for t in tests if t not in invalid and t not in not_written}
    failing = [run for run in runs if run.outcome != "passed" and run.test in valid]
    results = tuple(
        ChaffResult(
            chaff.name,
            chaff.title,
            chaff.level,
            chaff.hint,
            tuple(dict.fromkeys(r.test for r in failing if r.implementation == chaff.name)),
        )
        for chaff in chaffs
    )
    timeouts = tuple(
        (r.test, r.implementation)
        for r in runs
        if r.outcome == "timeout" and r.implementation != wheat.name
    )
    return CheckResult(tuple(tests), invalid, not_written, results, timeouts)


_PASSED = TestRun("", "", "passed")
