"""report.html for a graded class: one self-contained page a teacher reads offline.

The page opens with what graded the class (kit, catalogues and their digests, options,
when: ``provenance.json``), then has one section per exercise (its mean, a score histogram,
the share of the class that caught each bug, a students x bugs grid, the tests the class most
often got wrong, every student's row with a link to their feedback page) and one section for
the submissions that could not be graded, with why, and for the roster's students who sent
nothing. Charts are inline PNG (:mod:`orderkit.classroom.report.charts`); one inline script
sorts and filters the tables (the page reads as it is without it) and the page loads nothing
from anywhere. ``grades.csv`` is not written here: the batch grader writes it row by row.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import statistics
import types
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.batch.gradebook import ISOLATION_CODES, PROVENANCE, Grade
from orderkit.classroom.batch.lms import Student
from orderkit.classroom.batch.submissions import Found
from orderkit.classroom.bugs.catalogue import EXERCISES, Exercise
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.report.feedback import FOLDER


# Checked here, imported where used: the grader forks a worker per submission, and a
# process without matplotlib in it forks faster.
def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except ImportError:
        return True


for _needed in ("jinja2", "matplotlib"):
    if _missing(_needed):  # say so before any grading starts
        raise ClassroomError(
            f"the report needs {_needed}, from the kit's teacher extra: in the kit's folder, "
            "run .venv/bin/python -m pip install -c constraints.txt -e '.[teacher]' "
            "(make test installs it too)"
        )


def _charts() -> types.ModuleType:
    from orderkit.classroom.report import charts  # matplotlib

    return charts


MOST_INVALID = 12  # rows in "the tests most often not valid"; the rest are counted


@dataclass(frozen=True)
class BugRate:
    """One bug of an exercise: how many of the students graded on it caught it."""

    name: str
    title: str
    level: str
    caught: int
    graded: int

    @property
    def share(self) -> float:
        """Percentage of the students graded on this bug whose valid tests caught it."""
        return 100 * self.caught / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class InvalidTest:
    """A test (all its parameters together) that some students' versions got wrong."""

    name: str
    students: int  # whose version of it is not valid
    wrote: int  # who wrote it at all (not-written stubs left out)
    reason: str  # the most common reason
    same_reason: int  # how many of ``students`` have that reason


@dataclass(frozen=True)
class Section:
    """Everything the page shows about one exercise."""

    exercise: str | None
    title: str
    anchor: str
    grades: tuple[Grade, ...]  # the graded ones, in the order given
    not_graded: int  # submissions of this exercise that could not be graded
    mean: float  # of the graded only, as are the median and the range
    median: float
    lowest: float
    highest: float
    bugs: tuple[BugRate, ...]
    grid: tuple[tuple[Grade, tuple[bool | None, ...]], ...]  # None: not graded on that bug
    invalid: tuple[InvalidTest, ...]
    more_invalid: int  # tests left out of ``invalid``
    histogram: str  # base64 PNG
    chart: str  # base64 PNG


def bug_rates(grades: Sequence[Grade]) -> list[BugRate]:
    """For each bug seen, in catalogue order: who caught it, of the students graded on it."""
    titles: dict[str, tuple[str, str]] = {}
    caught: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for grade in grades:
        for chaff in grade.result.chaffs if grade.result else ():
            hidden = " (hidden from students)" if chaff.private else ""
            titles.setdefault(chaff.name, (chaff.title + hidden, chaff.level))
            seen[chaff.name] += 1
            caught[chaff.name] += chaff.caught
    return [BugRate(name, *titles[name], caught[name], seen[name]) for name in titles]


def invalid_tests(grades: Sequence[Grade]) -> list[InvalidTest]:
    """Tests whose versions were not valid, most students first, with the usual reason.

    Parametrized cases count as one test, and a student once, with their first reason.
    Only names and reasons are kept: never a line of any test's source.
    """
    reasons: dict[str, list[str]] = defaultdict(list)
    wrote: Counter[str] = Counter()
    for grade in grades:
        mine: dict[str, str] = {}
        written: set[str] = set()
        for verdict in grade.result.verdicts if grade.result else ():
            name = verdict.name.partition("[")[0]
            if verdict.status != "not-written":
                written.add(name)
            if verdict.status not in ("valid", "not-written"):
                mine.setdefault(name, verdict.message or verdict.status)
        wrote.update(written)
        for name, reason in mine.items():
            reasons[name].append(reason)
    found = []
    for name, given in reasons.items():
        reason, same = Counter(given).most_common(1)[0]
        found.append(InvalidTest(name, len(given), wrote[name], reason, same))
    return sorted(found, key=lambda test: (-test.students, test.name))


def _title(exercise: str | None, known: Mapping[str, Exercise]) -> str:
    if exercise is None:
        return "No exercise named (graded on every bug)"
    found = known.get(exercise)
    return f"{found.title} ({exercise})" if found else exercise


def _order(exercise: str | None, known: Mapping[str, Exercise]) -> tuple[int, str]:
    ids = list(known)
    if exercise is None:
        return (len(ids) + 1, "")
    return (ids.index(exercise) if exercise in ids else len(ids), exercise)


def _section(
    exercise: str | None,
    graded: Sequence[Grade],
    not_graded: int,
    known: Mapping[str, Exercise],
) -> Section:
    rates = bug_rates(graded)
    scores = [grade.score or 0.0 for grade in graded]
    grid = []
    for grade in graded:
        caught = {c.name: c.caught for c in grade.result.chaffs} if grade.result else {}
        grid.append((grade, tuple(caught.get(bug.name) for bug in rates)))
    invalid = invalid_tests(graded)
    return Section(
        exercise=exercise,
        title=_title(exercise, known),
        anchor="exercise-" + re.sub(r"[^a-z0-9]+", "-", (exercise or "none").lower()),
        grades=tuple(graded),
        not_graded=not_graded,
        mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        lowest=min(scores, default=0.0),
        highest=max(scores, default=0.0),
        bugs=tuple(rates),
        grid=tuple(grid),
        invalid=tuple(invalid[:MOST_INVALID]),
        more_invalid=max(0, len(invalid) - MOST_INVALID),
        histogram=_charts().score_histogram(scores) if scores else "",
        chart=_charts().bug_chart([(b.name, b.level, b.share) for b in rates]) if rates else "",
    )


def sections(
    grades: Sequence[Grade], known: Mapping[str, Exercise] | None = None
) -> tuple[list[Section], list[Grade]]:
    """One section per exercise among the graded, and the submissions not graded."""
    graded: dict[str | None, list[Grade]] = defaultdict(list)
    failed: Counter[str | None] = Counter()
    for grade in grades:
        if grade.result is not None:
            graded[grade.exercise].append(grade)
        else:
            failed[grade.exercise] += 1
    known = EXERCISES if known is None else known
    chosen = sorted(graded, key=lambda e: _order(e, known))
    parts = [_section(e, graded[e], failed[e], known) for e in chosen]
    return parts, [g for g in grades if not g.graded]


@functools.cache
def environment() -> Any:
    """The Jinja environment of the report's templates (autoescaped, strict; made once, so
    each template is compiled once however many pages use it)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("orderkit.classroom.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    grades: Sequence[Grade],
    *,
    missing: Sequence[Student] = (),
    unknown: Sequence[Found] = (),
    provenance: dict[str, Any] | None = None,
    exercises: Mapping[str, Exercise] | None = None,
) -> str:
    """The page as text (``exercises``: a course's; the kit's when not given)."""
    parts, not_graded = sections(grades, exercises)
    kinds = {g.isolation_kind: g.isolation for g in grades if g.isolation_kind}
    legend = [(ISOLATION_CODES.get(kind, kind), detail) for kind, detail in sorted(kinds.items())]
    page: str = (
        environment()
        .get_template("report.html")
        .render(
            total=len(grades),
            graded=len(grades) - len(not_graded),
            sections=parts,
            not_graded=not_graded,
            missing=missing,
            unknown=unknown,
            provenance=provenance or {},
            legend=legend,
            feedback=FOLDER,
            late=sum(g.late for g in grades),
        )
    )
    return page


def write_html(grades: Sequence[Grade], path: Path, **more: Any) -> None:
    """Write the page to ``path``."""
    path.write_text(render(grades, **more), encoding="utf-8")


def write_report(
    grades: Sequence[Grade],
    out: Path,
    *,
    missing: Sequence[Student] = (),
    unknown: Sequence[Found] = (),
    exercises: Mapping[str, Exercise] | None = None,
) -> Path:
    """Write report.html into ``out`` (grades.csv is written row by row as grading goes)."""
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "report.html"
    try:
        provenance = json.loads((out / PROVENANCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        provenance = {}
    write_html(
        grades,
        html_path,
        missing=missing,
        unknown=unknown,
        provenance=provenance,
        exercises=exercises,
    )
    return html_path
