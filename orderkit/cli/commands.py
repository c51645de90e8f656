"""The commands, as the command line calls them: check arguments, run, report.

The library modules never see ``argparse``, never print summaries and never choose exit
codes; these functions do, and :mod:`orderkit.cli` only builds the parser.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderkit.classroom.bugs import catalogue as catalogues
from orderkit.classroom.errors import ClassroomError
from orderkit.cli.exits import Exit

if TYPE_CHECKING:
    from orderkit.classroom.batch.gradebook import Grade
    from orderkit.classroom.batch.submissions import Class
    from orderkit.classroom.bugs.catalogue import Exercise
    from orderkit.classroom.bugs.course import Course


def grade(args: argparse.Namespace) -> int:
    """``orderkit grade``: grade, write grades.csv, results/, feedback/ and report.html.

    Exit status (:class:`Exit`): OK when every submission was graded, INCOMPLETE when any
    could not be, USAGE on a usage error (an unknown exercise, a path that does not exist,
    a folder without notebooks, a broken catalogue or roster, a deadline not ISO 8601).
    Every argument is checked before anything is graded or written.
    """
    from orderkit.classroom.batch import lms, submissions
    from orderkit.classroom.batch import scheduler as batch
    from orderkit.classroom.report.feedback import write_feedback
    from orderkit.classroom.report.page import write_report

    course, chosen = _catalogue(args)
    if args.exercise is not None:
        chosen.exercise(args.exercise)
    roster_file = args.roster or (course.roster if course else None)
    roster = lms.read_roster(roster_file) if roster_file else []
    deadline = _deadline(args.deadline) or (course.deadline if course else None)
    found = submissions.find(args.submissions, args.out / submissions.UNPACKED)
    klass = submissions.collect(
        found,
        roster=roster,
        deadline=deadline,
        exercises=lambda path: submissions.exercises_in(path, args.exercise),
    )
    started = time.perf_counter()
    bars: list[_NoBar] = []

    def planned(count: int) -> None:
        bars.append(_progress(count, enabled=not args.quiet))

    def progress(done: int) -> None:
        bars[0].update(done)

    grades, new = batch.grade_all(
        klass.submissions,
        args.out,
        chosen,
        exercise_id=args.exercise,
        jobs=args.jobs,
        timeout=args.timeout,
        memory_mib=args.memory,
        test_timeout=args.test_timeout,
        force=args.force,
        points={e.id: e.points for e in chosen.exercises.values()},
        progress=progress,
        planned=planned,
        told=print,
    )
    for bar in bars:
        bar.close()
    feedback = write_feedback(grades, args.out, chosen.exercises)
    report = write_report(
        grades, args.out, missing=klass.missing, unknown=klass.unknown, exercises=chosen.exercises
    )
    written = [args.out / "grades.csv", args.out / "results", feedback, report]
    for kind in args.export:
        target = args.out / lms.EXPORT_FILES[kind]
        columns = _exercises(grades, chosen.exercises)
        lms.WRITERS[kind](lms.export_rows(grades, roster), columns, target)
        written.append(target)
    for line in batch.summary(grades, new, time.perf_counter() - started):
        print(line)
    for line in _class_lines(klass, grades):
        print(line)
    print(f"wrote {', '.join(map(str, written))}")
    return Exit.OK if all(g.graded for g in grades) else Exit.INCOMPLETE


def gradescope(args: argparse.Namespace) -> int:
    """``orderkit gradescope``: the autograder's files in ``--out``, and the zip to upload."""
    from orderkit.classroom.batch.gradescope import Setup, build
    from orderkit.classroom.bugs.course import FILE

    source: Path | None = args.source
    course = source is not None and (source.is_dir() or source.name == FILE)
    if course and (args.private or args.no_kit_bugs):
        print(
            f"orderkit gradescope: error: --private and --no-kit-bugs are for catalogue "
            f"files; a course says them in its {FILE}",
            file=sys.stderr,
        )
        return Exit.USAGE
    setup = Setup(
        course=source if course else None,
        public=(source,) if source is not None and not course else (),
        private=tuple(args.private),
        kit_bugs=not args.no_kit_bugs,
        exercise=args.exercise,
        timeout=args.timeout,
        memory_mib=args.memory,
        test_timeout=args.test_timeout,
    )
    archive = build(setup, args.out, wheel=args.wheel)
    print(f"wrote {args.out}/ and {archive}: upload {archive.name} to Gradescope")
    return Exit.OK


def _catalogue(args: argparse.Namespace) -> tuple[Course | None, catalogues.Catalogue]:
    """The course of ``--course`` (if given) and the catalogue to grade with: the course's
    files, private ones too, and any ``--bugs``; the kit's and ``--bugs`` without a course."""
    if args.course is None:
        return None, catalogues.load(args.bugs)
    from orderkit.classroom.bugs.course import Course

    course = Course.read(args.course)
    chosen = catalogues.load(
        [*course.bugs, *args.bugs],
        private=course.private,
        shipped=course.kit_bugs,
        exercises=course.exercises,
    )
    return course, chosen


def _deadline(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ClassroomError(
            f"--deadline {text!r}: not an ISO 8601 time (e.g. 2026-12-10T23:59+01:00)"
        ) from None
    return when if when.tzinfo else when.astimezone()  # no zone given: this machine's


def _exercises(
    grades: Sequence[Grade], known: Mapping[str, Exercise]
) -> list[tuple[str, str, float]]:
    """(id, title, maximum points) of each exercise graded, in the order first met."""
    seen: dict[str, tuple[str, str, float]] = {}
    for grade in grades:
        key = grade.exercise or ""
        if key not in seen:
            exercise = known.get(key)
            title = exercise.title if exercise else key or "orderkit"
            seen[key] = (key, title, grade.max_points)
    return list(seen.values())


def _class_lines(klass: Class, grades: Sequence[Grade]) -> list[str]:
    """What the teacher should know about the class besides the grades."""
    lines = []
    late = [g for g in grades if g.late]
    if late:
        lines.append(f"{len(late)} late: {', '.join(g.student for g in late)}")
    for grade in grades:
        if grade.older:
            lines.append(
                f"{grade.student}: graded {grade.file}; not graded (older): "
                + ", ".join(grade.older)
            )
    if klass.missing:
        names = ", ".join(s.name or s.id for s in klass.missing)
        lines.append(f"{len(klass.missing)} on the roster sent nothing: {names}")
    for found in klass.unknown:
        lines.append(f"{found.path}: matches no one on the roster (graded as {found.student})")
    return lines


def bugs(args: argparse.Namespace) -> int:
    """``orderkit bugs check``: every change applies, and the reference solutions agree.

    For each reference solution (an instructor notebook), every chaff of each exercise it
    holds must be caught and every one of its tests must be valid on every wheat. With
    ``--course``, the course's catalogues (private ones too) and, when no ``--solution`` is
    given, its ``source/*.ipynb``. With ``--graded``, what a graded class says of the bugs.
    """
    from orderkit.classroom.authoring.solutions import grade_exercises
    from orderkit.classroom.grading.notebooks import read_notebook

    solutions = list(args.solution)
    course, chosen = _catalogue(args)
    if course is not None:
        solutions = solutions or sorted((course.root / "source").glob("*.ipynb"))
    problems = catalogues.check_applies(chosen)
    counts = {kind: len(chosen.of_kind(kind)) for kind in catalogues.KINDS}
    print(
        f"catalogue: {counts['wheat']} wheat(s), {counts['chaff']} chaff(s), "
        f"{counts['misconception']} misconception(s) from {', '.join(map(str, chosen.files))}"
    )
    if not problems:
        for path in solutions:
            notebook = read_notebook(path.read_bytes(), path.name)
            for exercise_id, graded in grade_exercises(notebook, chosen).items():
                result = graded.result
                where = f"{path} ({exercise_id or 'all'})"
                for name, why in result.invalid.items():
                    problems.append(f"{where}: reference test {name} is not valid: {why}")
                for chaff in result.chaffs:
                    if not chaff.caught:
                        problems.append(
                            f"{where}: chaff {chaff.name!r} is not caught "
                            "(no behaviour change, or a gap in the solution)"
                        )
                print(
                    f"{where}: caught {result.caught} of {len(result.chaffs)}, "
                    f"{len(result.valid)} valid test(s)"
                )
    if args.graded is not None:
        _graded_class(args.graded, chosen)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    print("catalogue OK" if not problems else f"{len(problems)} problem(s)")
    return Exit.OK if not problems else Exit.INCOMPLETE


def _graded_class(folder: Path, catalogue: catalogues.Catalogue) -> None:
    """Print what a graded class says of the bugs (information, never a problem)."""
    from orderkit.classroom.authoring.coverage import (
        class_coverage,
        read_graded,
        unchanged_functions,
    )

    coverage = class_coverage(read_graded(folder))
    print(f"graded class: {coverage.results} result(s) in {folder}")

    def named(rates: list[Any]) -> str:
        return ", ".join(f"{r.name} ({r.caught}/{r.graded})" for r in rates) or "none"

    print(f"  caught by nobody: {named(coverage.nobody)}")
    print(f"  caught by everybody: {named(coverage.everybody)}")
    print("  kit functions no chaff changes:")
    for file, functions in unchanged_functions(catalogue).items():
        print(f"    {file}: {', '.join(functions)}")


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, *, enabled: bool) -> _NoBar:
    if not enabled or not total:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:  # the teacher's extras are not installed: no bar, same work
        return _NoBar()
    return tqdm(total=total, unit="notebook", desc="grading", file=sys.stderr)  # type: ignore[no-any-return]
