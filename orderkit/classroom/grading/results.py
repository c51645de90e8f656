"""What grading a set of tests found: plain result objects, usable with or without widgets."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orderkit.classroom.bugs.catalogue import Catalogue, Level
from orderkit.classroom.grading.outcomes import Raw

Status = Literal[
    "valid",
    "not-written",
    "fails",
    "hangs",
    "flaky",
    "unspecified",
    "over-specified",
    "skipped",
    "inspects",
]
Count = Literal["valid", "invalid", "not-written"]  # what a part of the summary line counts

FLAKY = (
    "its outcome on correct code changed when it ran again: it depends on what ran before "
    "it (state kept at module level, a file at a fixed path, the order of tests); give "
    "each test its own objects (a fixture, tmp_path)"
)
ASSERTS_NOTHING = "it can only catch crashes"
FEEDBACK_ONLY = (
    "Instant feedback, run in your own kernel: the grade that counts comes from your "
    "teacher's batch grading (orderkit grade), which runs your tests again, outside it."
)
NO_TESTS = "no tests found: define functions named test_... in a code cell"
HINTS_HEAD = "coverage hints (all your tests are valid; what none of them runs yet):"


@dataclass(frozen=True)
class Verdict:
    """One test: valid or why not, and whether it checked anything at all."""

    name: str
    status: Status
    message: str = ""
    asserts: bool = True
    belief: str = ""  # the misconception a test that fails on correct code holds, if known

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class ChaffResult:
    """One bug of the catalogue: caught or not, and by which valid tests."""

    name: str
    title: str
    level: Level
    hint: str
    caught_by: tuple[str, ...]
    hung: tuple[str, ...] = ()  # valid tests that were stopped on this bug
    private: bool = False  # a hidden bug: graded in the batch, its title never shown
    weight: float = 1.0  # its weight in the exercise's points

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of running a student's tests on the wheats, chaffs and misconceptions.

    A test is *valid* if it passes on every correct implementation, every time; only
    valid tests can catch a chaff. ``error`` is set when the grader itself failed.
    """

    verdicts: tuple[Verdict, ...] = ()
    chaffs: tuple[ChaffResult, ...] = ()
    uncollected: tuple[tuple[str, str], ...] = ()
    isolation: str = ""
    exercise: str | None = None
    error: str = ""
    skipped_grading: str = ""  # why this call did not grade (inside the batch grader)
    show_titles: bool = False  # a teacher's choice: titles of bugs not yet caught too
    hints: tuple[str, ...] = ()  # coverage hints: only once every test is valid
    hints_note: str = ""  # why there are no coverage hints where there could be

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.verdicts)

    @property
    def valid(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.verdicts if v.valid)

    @property
    def not_written(self) -> tuple[str, ...]:
        """Tests not written yet, a parametrized one once (not once per parameter)."""
        return tuple(v.name for v in self.listed() if v.status == "not-written")

    def listed(self) -> tuple[Verdict, ...]:
        """The verdicts as shown: a parametrized test not written yet once, by its name."""
        shown: dict[str, Verdict] = {}
        for verdict in self.verdicts:
            if verdict.status == "not-written":
                base = verdict.name.split("[", 1)[0]
                shown.setdefault(base, dataclasses.replace(verdict, name=base))
            else:
                shown[verdict.name] = verdict
        return tuple(shown.values())

    @property
    def invalid(self) -> dict[str, str]:
        """Written tests that are not valid, with why."""
        return {
            v.name: v.message for v in self.verdicts if v.status not in ("valid", "not-written")
        }

    @property
    def caught(self) -> int:
        return sum(chaff.caught for chaff in self.chaffs)

    @property
    def score(self) -> float:
        """Share of chaffs caught, 0.0 to 1.0 (0.0 when there is nothing to catch)."""
        return self.caught / len(self.chaffs) if self.chaffs else 0.0

    @property
    def weighted_score(self) -> float:
        """Share of the chaffs' weights caught (the catalogue's ``weight``; 1 each: score)."""
        total = sum(chaff.weight for chaff in self.chaffs)
        return sum(c.weight for c in self.chaffs if c.caught) / total if total else 0.0

    def summary_counts(self) -> tuple[tuple[Count, str], ...]:
        """The parts of the summary line, each with what it counts (for the scoreboard)."""
        valid = len(self.valid)
        parts: list[tuple[Count, str]] = [
            ("valid", f"{valid} valid test{'' if valid == 1 else 's'}")
        ]
        if self.invalid:
            parts.append(("invalid", f"{len(self.invalid)} not valid"))
        if self.not_written:
            parts.append(("not-written", f"{len(self.not_written)} not written yet"))
        return tuple(parts)

    def summary_caught(self) -> str:
        """The bugs' part of the summary line."""
        bugs = len(self.chaffs)
        return f"caught {self.caught} of {bugs} bug{'' if bugs == 1 else 's'}"

    def summary(self) -> str:
        """One line: tests valid, not valid, not written yet; bugs caught."""
        if self.error:
            return f"The grader itself failed (not your tests): {self.error}"
        if self.skipped_grading:
            return self.skipped_grading
        counts = ", ".join(text for _, text in self.summary_counts())
        return f"{counts}; {self.summary_caught()}"

    def stopped_on_bugs(self) -> dict[str, int]:
        """Valid tests stopped at the time limit on some bug, with on how many bugs."""
        stopped: dict[str, int] = {}
        for chaff in self.chaffs:
            for test in chaff.hung:
                stopped[test] = stopped.get(test, 0) + 1
        return stopped

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.error or self.skipped_grading:
            return lines[0]
        if not self.verdicts and not self.uncollected:
            lines.append(f"  . {NO_TESTS}")
        for verdict in self.listed():
            if verdict.status == "not-written":
                lines.append(f"  . {verdict.name} is not written yet")
            elif not verdict.valid:
                lines.append(f"  ! {verdict.name}: {verdict.message}")
            elif not verdict.asserts:
                lines.append(f"  ? {verdict.name} asserts nothing: {ASSERTS_NOTHING}")
        for what, why in self.uncollected:
            lines.append(f"  ! could not collect {what}: {why}")
        for test, bugs in self.stopped_on_bugs().items():
            lines.append(f"  ~ {test} {stopped_on(bugs)}")
        for chaff in self.chaffs:
            if chaff.private:
                continue
            if chaff.caught:
                by = ", ".join(chaff.caught_by)
                lines.append(f"  [x] {chaff.title} ({chaff.level}): caught by {by}")
            elif self.show_titles:
                lines.append(f"  [ ] {chaff.title} ({chaff.level}); hint: {chaff.hint}")
            else:
                lines.append(f"  [ ] {a_bug(chaff.level)}; hint: {chaff.hint}")
        if self.hidden:
            lines.append(f"  {self.hidden_summary()}")
        if self.hints:
            lines.append(f"  {HINTS_HEAD}")
            lines += [f"  > {hint}" for hint in self.hints]
        elif self.hints_note:
            lines.append(f"  . {self.hints_note}")
        return "\n".join(lines)

    @property
    def hidden(self) -> tuple[ChaffResult, ...]:
        """The private bugs (batch grading only): counted, never named or hinted at."""
        return tuple(chaff for chaff in self.chaffs if chaff.private)

    def hidden_summary(self) -> str:
        """What a student may know of the private bugs: how many their tests caught."""
        caught = sum(chaff.caught for chaff in self.hidden)
        return f"hidden bugs: {caught} of {len(self.hidden)} caught"


def a_bug(level: str, capital: bool = False) -> str:
    """``"a unit bug"``, ``"an integration bug"``: a bug named by its level alone."""
    article = "an" if level[:1] in ("a", "e", "i", "o") else "a"
    return f"{article.capitalize() if capital else article} {level} bug"


def teacher_notes(result: CheckResult, cell_errors: Sequence[str], cut_off: bool) -> str:
    """The notes a teacher reads beside a graded notebook's row, on one line."""
    notes = []
    if not result.tests:
        notes.append("no tests found")
    if result.invalid:
        notes.append(f"{len(result.invalid)} test(s) not valid")
    if result.not_written:
        notes.append(f"{len(result.not_written)} test(s) not written")
    for what, why in result.uncollected:
        notes.append(f"could not collect {what}: {why}"[:200])
    if cell_errors:
        notes.append(f"{len(cell_errors)} cell(s) raised, first {cell_errors[0]}"[:200])
    if cut_off:
        notes.append("output cut off (too long)")
    return "; ".join(notes)


def over_specified(detail: str, rule: str) -> str:
    """Why a test that fails on a wheat differing only in *how* it works is not valid."""
    return f"over-specified: it fails on correct code that {detail}; {rule}"


def stopped_on(bugs: int) -> str:
    """What happened to a valid test stopped at the time limit on ``bugs`` bugs."""
    which = "one of the bugs" if bugs == 1 else f"{bugs} of the bugs"
    return f"ran for more than the time limit on {which} and was stopped"


def to_data(result: CheckResult) -> dict[str, Any]:
    """Plain data (for JSON): what the batch grader keeps per submission."""
    return dataclasses.asdict(result)


def from_data(data: dict[str, Any]) -> CheckResult:
    """The inverse of :func:`to_data`."""
    return CheckResult(
        verdicts=tuple(Verdict(**v) for v in data.get("verdicts", ())),
        chaffs=tuple(
            ChaffResult(**{**c, "caught_by": tuple(c["caught_by"]), "hung": tuple(c["hung"])})
            for c in data.get("chaffs", ())
        ),
        uncollected=tuple((str(u[0]), str(u[1])) for u in data.get("uncollected", ())),
        isolation=data.get("isolation", ""),
        exercise=data.get("exercise"),
        error=data.get("error", ""),
        skipped_grading=data.get("skipped_grading", ""),
        show_titles=data.get("show_titles", False),
        hints=tuple(str(h) for h in data.get("hints", ())),
        hints_note=str(data.get("hints_note", "")),
    )


def summarise(raw: Raw, catalogue: Catalogue, exercise: str | None = None) -> CheckResult:
    """Turn the runs' outcomes into verdicts per test and per chaff."""
    verdicts = [_verdict(test, raw, catalogue) for test in raw.tests]
    valid = {v.name for v in verdicts if v.valid}
    chaffs = []
    for chaff in catalogue.of_kind("chaff"):
        outcomes = raw.outcomes.get(chaff.name, {})
        failing = [
            t
            for t in raw.tests
            if t in valid and outcomes.get(t) and outcomes[t].outcome in ("failed", "timeout")
        ]
        hung = [t for t in failing if outcomes[t].outcome == "timeout"]
        chaffs.append(
            ChaffResult(
                chaff.name,
                chaff.title,
                chaff.level,
                chaff.hint,
                tuple(failing),
                tuple(hung),
                private=chaff.private,
                weight=chaff.weight,
            )
        )
    result = CheckResult(
        tuple(verdicts), tuple(chaffs), tuple(raw.uncollected), raw.isolation, exercise
    )
    if not _all_valid(verdicts, raw):
        return result
    if raw.arcs is None:
        return dataclasses.replace(result, hints_note=raw.hints_note)
    return dataclasses.replace(result, hints=_hints(raw, catalogue, exercise))


def every_test_valid(raw: Raw, catalogue: Catalogue) -> bool:
    """Whether the coverage hints may be shown: tests exist, all collected, all valid."""
    return _all_valid([_verdict(test, raw, catalogue) for test in raw.tests], raw)


def _all_valid(verdicts: Sequence[Verdict], raw: Raw) -> bool:
    return bool(verdicts) and not raw.uncollected and all(v.valid for v in verdicts)


def _hints(raw: Raw, catalogue: Catalogue, exercise: str | None) -> tuple[str, ...]:
    """The hints of the hint run's coverage; none if they cannot be told (never an error:
    the grade is whole without them)."""
    from orderkit.classroom.grading import hints

    chosen = catalogue.exercises.get(exercise) if exercise is not None else None
    try:
        return hints.hints(raw.arcs or {}, hints.scope(catalogue, chosen))
    except Exception:
        return ()


def _verdict(test: str, raw: Raw, catalogue: Catalogue) -> Verdict:
    wheats = catalogue.of_kind("wheat")
    first = raw.outcomes.get(wheats[0].name, {}).get(test)
    if first is None:
        return Verdict(test, "fails", "did not run on correct code")
    asserts = first.asserted is not False
    if first.outcome == "not-written":
        return Verdict(test, "not-written", first.message)
    if first.outcome == "skipped":
        return Verdict(
            test, "skipped", f"skipped on correct code ({first.message}): it cannot catch anything"
        )
    if first.outcome == "timeout":
        return Verdict(
            test, "hangs", f"this test {first.message} on the correct code and was stopped"
        )
    seen = [o.get(test) for o in (*raw.outcomes.values(), *raw.probes)]
    looked = next((o for o in seen if o is not None and o.outcome == "inspects"), None)
    if looked is not None:
        return Verdict(test, "inspects", looked.message, asserts)
    probes = [p.get(test) for p in raw.probes]
    if any(
        p is not None and (p.outcome == "passed") != (first.outcome == "passed") for p in probes
    ):
        return Verdict(test, "flaky", FLAKY, asserts)
    if first.outcome == "failed":
        beliefs = [
            m.belief
            for m in catalogue.of_kind("misconception")
            if (o := raw.outcomes.get(m.name, {}).get(test)) is not None and o.outcome == "passed"
        ]
        message = f"fails on correct code: {first.message}"
        if beliefs:
            message = f"fails on correct code: {beliefs[0]} ({first.message})"
        return Verdict(test, "fails", message, asserts, beliefs[0] if beliefs else "")
    for wheat in wheats[1:]:
        outcome = raw.outcomes.get(wheat.name, {}).get(test)
        if outcome is not None and outcome.outcome != "passed":
            if wheat.rule:
                return Verdict(
                    test, "over-specified", over_specified(wheat.detail, wheat.rule), asserts
                )
            return Verdict(
                test,
                "unspecified",
                "passes on the kit but fails on another correct implementation: "
                f"it relies on {wheat.detail}",
                asserts,
            )
    return Verdict(test, "valid", "", asserts)
