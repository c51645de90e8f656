"""The ``orderkit`` command line: ``release``, ``outputs``, ``grade``, ``gradescope``, ``bugs``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.cli.exits import Exit
from orderkit.errors import OrderkitError


def _release(args: argparse.Namespace) -> int:
    from orderkit.classroom.authoring.handout import release_course
    from orderkit.classroom.authoring.release import release

    course = len(args.sources) == 1 and args.sources[0].is_dir()
    handout = release_course(args.sources[0], args.out) if course else None
    for done in handout.notebooks if handout else release(args.sources, args.out):
        print(
            f"released {done.source} -> {done.target} "
            f"({done.solutions} solution(s) stubbed, {done.hidden} hidden test region(s) removed)"
        )
    if handout:
        for copied in handout.files:
            print(f"copied {copied}")
        for warning in handout.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"wrote {args.out}/: hand out this folder (the course file, public bugs and all)")
    return Exit.OK


def _outputs(args: argparse.Namespace) -> int:
    from orderkit.classroom.authoring.errors import OutputsError
    from orderkit.classroom.authoring.outputs import store_outputs

    failed = 0
    for path in args.notebooks:
        print(f"running {path}", flush=True)
        try:
            store_outputs(path, root=Path.cwd(), timeout=args.timeout)
        except OutputsError as error:
            failed += 1
            print(f"orderkit outputs: {error}", file=sys.stderr)
            continue
        print(f"stored the outputs of {path}")
    return Exit.INCOMPLETE if failed else Exit.OK


def _grade(args: argparse.Namespace) -> int:
    from orderkit.cli.commands import grade

    return grade(args)


def _gradescope(args: argparse.Namespace) -> int:
    from orderkit.cli.commands import gradescope

    return gradescope(args)


def _bugs(args: argparse.Namespace) -> int:
    from orderkit.cli.commands import bugs

    return bugs(args)


def _limits(command: argparse.ArgumentParser) -> None:
    """The limits of a graded run, the same for ``grade`` and ``gradescope``."""
    command.add_argument(
        "--timeout",
        type=float,
        default=SUBMISSION_TIMEOUT,
        help="seconds of CPU time each run of a submission may use, one run per "
        f"implementation (default {SUBMISSION_TIMEOUT:g})",
    )
    command.add_argument(
        "--memory",
        type=int,
        default=MEMORY_MIB,
        help=f"MiB of memory per submission (default {MEMORY_MIB})",
    )
    command.add_argument(
        "--test-timeout",
        type=float,
        default=TEST_TIMEOUT,
        help=f"seconds per test and implementation (default {TEST_TIMEOUT:g})",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per classroom task."""
    main = argparse.ArgumentParser(
        prog="orderkit", description="Classroom tools of the orderkit testing kit."
    )
    commands = main.add_subparsers(dest="command", required=True)

    release = commands.add_parser(
        "release",
        help="write student versions of instructor notebooks, or a course's student folder",
        description="Stub solutions, remove hidden tests and clear outputs. Given a course "
        "folder (with course.toml), write a student folder: every notebook of source/, the "
        "files they link or load, the public catalogues and a public course.toml; never a "
        "solution or a private bug (each reference not shipped is a warning).",
    )
    release.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SOURCE",
        help="instructor notebooks, or one course folder",
    )
    release.add_argument("--out", required=True, type=Path, metavar="DIR")
    release.set_defaults(run=_release)

    outputs = commands.add_parser(
        "outputs",
        help="run instructor notebooks and store their outputs in place",
        description="Run each notebook top to bottom in a fresh kernel, as validation does, "
        "and store its outputs; paths are written relative to this folder.",
    )
    outputs.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    outputs.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    outputs.set_defaults(run=_outputs)

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
        help="notebooks, folders of notebooks (searched recursively), or zip files as Canvas "
        "and Moodle download them",
    )
    grade.add_argument("--out", required=True, type=Path, metavar="DIR")
    grade.add_argument("--exercise", help="exercise id (default: read from each notebook)")
    grade.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    _limits(grade)
    grade.add_argument(
        "--bugs", action="append", default=[], type=Path, metavar="FILE", help=BUGS_HELP
    )
    grade.add_argument(
        "--force", action="store_true", help="grade again what --out already has a row for"
    )
    grade.add_argument(
        "--course",
        type=Path,
        metavar="DIR",
        help="a course folder (course.toml): its catalogues, private ones too, its exercises "
        "and points, and its roster and deadline unless --roster or --deadline is given",
    )
    grade.add_argument(
        "--roster",
        type=Path,
        metavar="CSV",
        help="the class list (columns id, name, email): names students, lists who sent nothing",
    )
    grade.add_argument(
        "--deadline",
        metavar="WHEN",
        help="ISO 8601 time, e.g. 2026-12-10T23:59+01:00: files from later are flagged late "
        "(besides those the LMS marked LATE)",
    )
    grade.add_argument(
        "--export",
        action="append",
        default=[],
        choices=["canvas", "moodle"],
        help="also write a file that gradebook imports as it is (repeat for both)",
    )
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(run=_grade)

    gradescope = commands.add_parser(
        "gradescope",
        help="write a Gradescope autograder (setup.sh, run_autograder, the kit, the bugs)",
        description="Write the files of a Gradescope autograder into --out, and "
        "autograder.zip, the file to upload: Gradescope grades each submission in its own "
        "container with the same clean runs as orderkit grade.",
    )
    gradescope.add_argument(
        "source",
        nargs="?",
        type=Path,
        metavar="COURSE_OR_CATALOGUE",
        help="a course folder (or its course.toml): its catalogues, public and private, and "
        "its exercises; or a catalogue file of public bugs (default: the kit's only)",
    )
    gradescope.add_argument("--out", required=True, type=Path, metavar="DIR")
    gradescope.add_argument(
        "--private",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="without a course: a catalogue file of private bugs, which count but whose "
        "titles students never see (repeat for more)",
    )
    gradescope.add_argument("--exercise", help="exercise id (default: read from the notebook)")
    gradescope.add_argument(
        "--no-kit-bugs",
        action="store_true",
        help="without a course: leave out the kit's own catalogue",
    )
    gradescope.add_argument(
        "--wheel", type=Path, metavar="FILE", help="the kit's wheel (default: built here)"
    )
    _limits(gradescope)
    gradescope.set_defaults(run=_gradescope)

    bugs = commands.add_parser(
        "bugs",
        help="check a bug catalogue against reference solutions",
        description="Check that every change of the catalogue applies to the kit's source, "
        "that the reference solutions catch every chaff of their exercise, and that their "
        "tests pass on every wheat.",
    )
    bugs.add_argument("action", choices=["check"])
    bugs.add_argument(
        "--solution",
        action="append",
        default=[],
        type=Path,
        metavar="NOTEBOOK",
        help="an instructor notebook whose tests are the reference solution (repeat)",
    )
    bugs.add_argument(
        "--bugs", action="append", default=[], type=Path, metavar="FILE", help=BUGS_HELP
    )
    bugs.add_argument(
        "--course",
        type=Path,
        metavar="DIR",
        help="a course folder: its catalogues (private ones too), and its source/*.ipynb "
        "as the solutions unless --solution is given",
    )
    bugs.add_argument(
        "--graded",
        type=Path,
        metavar="DIR",
        help="the --out folder of orderkit grade: list the bugs nobody caught, those "
        "everybody caught, and the kit functions no chaff changes",
    )
    bugs.set_defaults(run=_bugs)
    return main


BUGS_HELP = "a catalogue file of your own bugs, added to the kit's (repeat for more)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except OrderkitError as error:
        print(f"orderkit {args.command}: error: {error}", file=sys.stderr)
        return Exit.USAGE
    except BrokenPipeError:  # the reader went away (``orderkit grade ... | head -1``)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit: not to the pipe
        return Exit.INCOMPLETE
