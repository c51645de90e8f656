"""The ``orderkit`` command line: ``orderkit release`` and ``orderkit grade``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from orderkit.errors import OrderkitError


def _release(args: argparse.Namespace) -> int:
    from orderkit.classroom.release import release

    for done in release(args.sources, args.out):
        print(
            f"released {done.source} -> {done.target} "
            f"({done.solutions} solution(s) stubbed, {done.hidden} hidden test region(s) removed)"
        )
    return 0


def _grade(args: argparse.Namespace) -> int:
    from orderkit.classroom.grading import grade_command

    return int(grade_command(args))


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per classroom task."""
    main = argparse.ArgumentParser(
        prog="orderkit", description="Classroom tools of the orderkit testing kit."
    )
    commands = main.add_subparsers(dest="command", required=True)

    release = commands.add_parser(
        "release",
        help="write student versions of instructor notebooks",
        description="Stub solutions, remove hidden tests and clear outputs.",
    )
    release.add_argument("sources", nargs="+", type=Path, metavar="SOURCE")
    release.add_argument("--out", required=True, type=Path, metavar="DIR")
    release.set_defaults(run=_release)

    grade = commands.add_parser(
        "grade",
        help="grade a class's submitted notebooks into grades.csv and report.html",
        description="Run each submission's tests on correct code and on every known bug.",
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help="notebooks, or folders of notebooks (searched recursively)",
    )
    grade.add_argument("--out", required=True, type=Path, metavar="DIR")
    grade.add_argument("--exercise", help="exercise id (default: read from each notebook)")
    grade.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    grade.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per submission (default 60)"
    )
    grade.add_argument(
        "--memory", type=int, default=1024, help="MiB of memory per submission (default 1024)"
    )
    grade.add_argument(
        "--test-timeout", type=float, default=10.0, help="seconds per test and bug (default 10)"
    )
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(run=_grade)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except OrderkitError as error:
        print(f"orderkit {args.command}: error: {error}", file=sys.stderr)
        return 2
