"""What a student may see of a graded result: the data behind a feedback page.

:func:`student_view` turns one :class:`~orderkit.classroom.grading.results.CheckResult` into
plain data (JSON-ready) holding exactly what ``check()`` would have shown that student, and
no more: bugs caught by title, bugs missed only by level and hint, hidden (private) bugs only
as counts, every test that is not valid with why, the misconceptions its tests hold, and
once every test is valid the coverage hints (what no test runs). It never
holds a bug's name or change, nor the title of a bug not caught, so the data can be mailed,
uploaded or handed to another tool (a Gradescope ``results.json``) as it is.

The shape is documented in ``orderkit/classroom/grading/feedback.schema.json`` (JSON Schema,
draft 2020-12) and in ``docs/teacher/feedback.md``.
"""

from __future__ import annotations

from typing import Any

from orderkit.classroom.grading.results import ASSERTS_NOTHING, NO_TESTS, CheckResult, stopped_on

SCHEMA = "orderkit-feedback/1"
"""The value of the data's ``schema`` key: bumped when a key changes meaning or goes."""


def share(result: CheckResult) -> float:
    """Each caught bug's weight over all the bugs' weights, 0.0 to 1.0 (0.0: no bugs)."""
    total = sum(c.weight for c in result.chaffs)
    return sum(c.weight for c in result.chaffs if c.caught) / total if total else 0.0


def points(result: CheckResult, maximum: float) -> float:
    """Points out of ``maximum``, to two decimals: :func:`share` of it."""
    return round(maximum * share(result), 2)


def percent(result: CheckResult) -> float:
    """The weighted share of bugs caught, in percent to one decimal (unweighted: all weigh 1)."""
    return round(100 * share(result), 1)


def student_view(
    result: CheckResult, *, max_points: float = 100.0, title: str = ""
) -> dict[str, Any]:
    """The data a student may see about ``result`` (see the module's docstring and schema).

    ``max_points`` is the exercise's maximum (its ``points`` in the course); ``title`` the
    exercise's title, shown beside its id.
    """
    public = [c for c in result.chaffs if not c.private]
    hidden = [c for c in result.chaffs if c.private]
    tests = []
    for verdict in result.verdicts:
        entry: dict[str, Any] = {"name": verdict.name, "status": verdict.status}
        if verdict.status == "not-written":
            entry["why"] = "not written yet"
        elif not verdict.valid:
            entry["why"] = verdict.message
        elif not verdict.asserts:
            entry["why"] = f"asserts nothing: {ASSERTS_NOTHING}"
        if verdict.belief:
            entry["misconception"] = verdict.belief
        tests.append(entry)
    notes = [f"could not collect {what}: {why}" for what, why in result.uncollected]
    notes += [f"{test} {stopped_on(n)}" for test, n in result.stopped_on_bugs().items()]
    if not result.verdicts and not result.uncollected:
        notes.append(NO_TESTS)
    return {
        "schema": SCHEMA,
        "exercise": {"id": result.exercise, "title": title or result.exercise or ""},
        "summary": result.summary(),
        "score": {
            "percent": percent(result),
            "points": points(result, max_points),
            "max_points": max_points,
        },
        "tests": tests,
        "misconceptions": sorted({t["misconception"] for t in tests if "misconception" in t}),
        "caught": [
            {"title": c.title, "level": c.level, "caught_by": list(c.caught_by)}
            for c in public
            if c.caught
        ],
        "missed": [{"level": c.level, "hint": c.hint} for c in public if not c.caught],
        "hidden": {"caught": sum(c.caught for c in hidden), "total": len(hidden)},
        "notes": notes,
        "coverage_hints": list(result.hints),
    }
