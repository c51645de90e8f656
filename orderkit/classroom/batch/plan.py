"""The batch's schedule of clean runs for one submission, and what the runs add up to.

Every run looks the same from inside: every test, in a random order, on its own copy of
the kit (:mod:`orderkit.classroom.batch.kitcopy`), in a fresh process that sees no other run.
Only the grader knows which implementation each run had. The wheats run first
(:func:`first`), then only the runs that can still change a verdict (:func:`second`). The
reference wheat runs up to :data:`REFERENCE_RUNS` times: a test whose outcome on correct
code differs between those runs depends on chance or on its order, and is *flaky* (not
valid), never a catch.
"""

from __future__ import annotations

import secrets

from orderkit.classroom.batch.cleanrun import Report
from orderkit.classroom.bugs.catalogue import Catalogue, Implementation
from orderkit.classroom.grading.outcomes import Raw
from orderkit.classroom.runtime.testrun import Ran

REFERENCE_RUNS = 3


def first(catalogue: Catalogue) -> list[Implementation]:
    """The runs every submission gets: the reference twice, every other wheat once."""
    wheats = catalogue.of_kind("wheat")
    return [wheats[0], *wheats]


def second(
    catalogue: Catalogue, reports: list[tuple[Implementation, Report]]
) -> list[Implementation]:
    """The runs that can still change the verdicts, given the first ones' reports.

    Chaffs only if some test passed on every wheat (only valid tests catch), misconceptions
    only if some test failed on the reference (they name its belief), and the last
    reference probe if any of those runs. A run cannot tell which runs were made: each
    is a fresh process that sees only itself.
    """
    raw = assemble(reports, catalogue, "")
    reference = catalogue.of_kind("wheat")[0].name
    on = raw.outcomes
    passing = [
        t
        for t in raw.tests
        if all(
            (o := on.get(w.name, {}).get(t)) is not None and o.outcome == "passed"
            for w in catalogue.of_kind("wheat")
        )
    ]
    failing = [t for t in raw.tests if (o := on[reference].get(t)) and o.outcome == "failed"]
    runs = list(catalogue.of_kind("chaff")) if passing else []
    runs += list(catalogue.of_kind("misconception")) if failing else []
    if runs:
        runs.append(catalogue.of_kind("wheat")[0])
    secrets.SystemRandom().shuffle(runs)
    return runs


def assemble(
    reports: list[tuple[Implementation, Report]], catalogue: Catalogue, isolation: str
) -> Raw:
    """The runs' reports as the summary expects them (:func:`results.summarise`).

    The reference's outcome of a test is the first one it had on the reference; every
    reference run is also a probe, compared with that one.
    """
    reference = catalogue.of_kind("wheat")[0].name
    on_reference = [
        report for implementation, report in reports if implementation.name == reference
    ]
    listed = next((r for r in on_reference if r.tests), None)
    raw = Raw(isolation=isolation)
    if listed is None:
        raw.uncollected = list(on_reference[0].uncollected) if on_reference else []
        return raw
    raw.tests = list(listed.tests)
    raw.uncollected = list(listed.uncollected)
    first: dict[str, Ran] = {}
    for report in on_reference:
        for name, ran in report.ran.items():
            first.setdefault(name, ran)
    raw.outcomes[reference] = first
    raw.probes = [dict(report.ran) for report in on_reference]
    for implementation, report in reports:
        if implementation.name != reference:
            raw.outcomes[implementation.name] = dict(report.ran)
    return raw
