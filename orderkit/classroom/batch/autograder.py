"""Inside Gradescope's container: grade the one submission and write ``results.json``.

``run_autograder`` (written by :mod:`orderkit.classroom.batch.gradescope`) runs this module
once per submission, as root, from ``/autograder``. :func:`run` grades
``/autograder/submission`` with the batch grader's clean runs, as ``orderkit grade`` grades
one notebook, ends whatever the submission left running, and always leaves a valid
``/autograder/results/results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

What a student sees in ``results.json`` (:func:`results`) is what ``check()`` shows, and no
more: the public bugs caught by title, the others by their hint only, why a test is not
valid; the teacher's private bugs only as a count, "hidden bugs: 3 of 5 caught", with their
points, shown when the teacher publishes the grades (``"visibility": "after_published"``).
No bug's change is ever written, and stdout (the grader's log, with the teacher's notes) is
for instructors only.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orderkit.classroom.batch import sandbox, submissions
from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.batch.gradescope import (
    DEFAULT_ROOT,
    FORMAT,
    MANIFEST,
    ROOT_ENV,
    AutograderError,
    Setup,
)
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.bugs.catalogue import Exercise
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import ChaffResult, CheckResult, a_bug

_SUBREAPER = 36  # prctl(2): PR_SET_CHILD_SUBREAPER
NO_NOTEBOOK = (
    "Your submission has no notebook (.ipynb file) in it: upload the exercise notebook you "
    "saved from JupyterLab (File > Save, or File > Download in the browser site)."
)
NOT_GRADED = (
    "If the notebook opens in JupyterLab and runs from the top, ask your teacher: the "
    "autograder's log says more."
)
OUR_FAULT = (
    "The autograder itself failed (not your submission): your teacher can see why in its "
    "log. Nothing was graded; submit again later or ask your teacher."
)
HIDDEN_LATER = "hidden bugs: shown when your teacher publishes the grades"


def run(root: Path) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``; return its data.

    It always writes a valid ``results.json``: a submission that cannot be graded gets a
    score of 0 and says why; a failure of the autograder itself says that it is not the
    student's fault (and the traceback goes to the log only instructors see).
    """
    started = time.monotonic()
    _adopt_orphans()
    try:
        data = _grade(root)
    except Exception:  # the autograder's own failure: the student still gets an answer
        print("orderkit: the autograder failed:", flush=True)
        traceback.print_exc(file=sys.stdout)
        data = {"score": 0.0, "output": OUR_FAULT, "tests": []}
    left = _sweep()  # before writing: nothing the submission started may write after us
    if left:
        print(f"orderkit: killed {left} process(es) the submission left behind")
    data["execution_time"] = round(time.monotonic() - started)
    data["stdout_visibility"] = "hidden"
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "results.json.part"
    partial.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, folder / "results.json")
    return data


def _grade(root: Path) -> dict[str, Any]:
    source = root / "source"
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise AutograderError(f"{MANIFEST}: format {manifest.get('format')!r}, not {FORMAT}")
    setup = Setup(
        course=None if manifest["course"] is None else source / manifest["course"],
        public=tuple(source / p for p in manifest["public"]),
        private=tuple(source / p for p in manifest["private"]),
        kit_bugs=manifest["kit_bugs"],
    )
    catalogue = setup.catalogue()
    isolation = sandbox.probe()
    if isolation.kind != "namespaces":
        # Without a mount namespace a run reads what the grader reads: the private bugs
        # leave the disk once they are in memory (this container is thrown away after this
        # one submission; the image keeps them for the next).
        for path in setup.private_files():
            path.unlink(missing_ok=True)
        print(f"orderkit: {isolation.detail}; the private catalogues were removed from disk")
    with tempfile.TemporaryDirectory(prefix="orderkit-gradescope-") as out:
        try:  # the notebooks in it, and in any zip file in it
            found = submissions.find([root / "submission"], Path(out) / submissions.UNPACKED)
        except ClassroomError:
            return {"score": 0.0, "output": NO_NOTEBOOK, "tests": []}
        grades, _ = grade_all(
            [path for path, _ in found],
            Path(out) / "grades",
            catalogue,
            exercise_id=manifest["exercise"],
            timeout=manifest["timeout"],
            memory_mib=manifest["memory_mib"],
            test_timeout=manifest["test_timeout"],
            points={e.id: e.points for e in catalogue.exercises.values()},
        )
    for grade in grades:  # the instructors' log (stdout), never shown to students
        print(
            f"orderkit: {grade.file}: {grade.exercise or '-'}: "
            f"{grade.points} of {grade.max_points:g} points ({grade.score}%)"
        )
        print(f"  notes: {grade.notes or '-'}; limits: {grade.limits or '-'}")
        print(f"  isolation: {grade.isolation}")
    return results(grades, catalogue.exercises)


def _adopt_orphans() -> None:
    """Become the subreaper of whatever grading starts (Linux's PR_SET_CHILD_SUBREAPER).

    A process a submission leaves behind (``setsid``, a double fork) then becomes this
    process's child instead of init's, so :func:`_sweep` finds and ends it. Inside a PID
    namespace a run's leftovers die with it anyway; in a process group only, this is
    what stops one from rewriting ``results.json`` after the grade is written.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_SUBREAPER, 1, 0, 0, 0)


def _sweep(within: float = 10.0) -> int:
    """Kill and reap every process left under this one; return how many were killed."""
    killed, deadline = 0, time.monotonic() + within
    while time.monotonic() < deadline and (children := _children()):
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)  # their own children are ours now: the next round takes them
        _reap()
    _reap()
    return killed


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _children() -> list[int]:
    """This process's living children, read from /proc (their own children come next)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if len(fields) > 1 and fields[1] == str(me) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def results(grades: Sequence[Grade], exercises: Mapping[str, Exercise]) -> dict[str, Any]:
    """``results.json`` for a submission's grades (one per notebook and exercise).

    Per exercise: a line of the overall output and a "your tests" entry (what ``check()``
    says, counting the public bugs only), one entry per public bug (its points when caught;
    its title only when caught, else its hint), and one for the hidden bugs together (how
    many were caught, with their points), shown once the grades are published. Each
    exercise is worth its points (the grade's ``max_points``), shared among its bugs by
    weight: the score is the sum of the grades' points, as ``orderkit grade`` gives them.
    ``exercises`` give the exercises' titles.
    """
    tests: list[dict[str, Any]] = []
    lines: list[str] = []
    score = 0.0  # exact: the tests' rounded scores may not add up (12 bugs of 8.33)
    for grade in grades:
        label = grade.exercise or Path(grade.file).name
        known = exercises.get(grade.exercise or "")
        worth = grade.max_points
        if grade.result is None:
            why = f"{Path(grade.file).name} could not be graded: {grade.notes}. {NOT_GRADED}"
            lines.append(f"{label}: {why}")
            tests.append(_test(f"{label}: could not be graded", 0.0, worth, why))
            continue
        summary, entries = _exercise(label, grade.result, worth)
        if known is not None and known.title != known.id:  # the title, as check() heads it
            summary = summary.replace(label, f"{label} ({known.title})", 1)
        lines.append(summary)
        tests += entries
        score += grade.points or 0.0
    return {"score": round(score, 2), "output": "\n".join(lines), "tests": tests}


def _exercise(label: str, result: CheckResult, worth: float) -> tuple[str, list[dict[str, Any]]]:
    public = dataclasses.replace(
        result, chaffs=tuple(c for c in result.chaffs if not c.private), show_titles=False
    )
    total = sum(c.weight for c in result.chaffs) or 1.0
    tests = [_test(f"{label}: your tests", 0.0, 0.0, _your_tests(public))]
    for chaff in public.chaffs:
        tests.append(_bug(label, chaff, worth * chaff.weight / total))
    if result.hidden:
        share = worth * sum(c.weight for c in result.hidden) / total
        got = worth * sum(c.weight for c in result.hidden if c.caught) / total
        name = f"{label}: {result.hidden_summary()}"
        said = "Bugs your teacher kept private: their titles and hints stay hidden."
        tests.append(_test(name, got, share, said, "after_published"))
    summary = f"{label}: {public.summary()}"
    return (summary + f"; {HIDDEN_LATER}" if result.hidden else summary), tests


def _your_tests(public: CheckResult) -> str:
    """What ``check()`` prints about the tests themselves (the bugs have their own entries)."""
    lines = str(dataclasses.replace(public, chaffs=())).splitlines()[1:]
    return "\n".join([public.summary(), *lines])


def _bug(label: str, chaff: ChaffResult, worth: float) -> dict[str, Any]:
    if chaff.caught:
        name = f"{label}: caught: {chaff.title}"
        return _test(name, worth, worth, f"caught by {', '.join(chaff.caught_by)}")
    name = f"{label}: {a_bug(chaff.level)}, not caught yet"
    return _test(name, 0.0, worth, f"hint: {chaff.hint}")


def _test(
    name: str, score: float, max_score: float, output: str, visibility: str = "visible"
) -> dict[str, Any]:
    return {
        "name": name,
        "score": round(score, 2),
        "max_score": round(max_score, 2),
        "output": output,
        "visibility": visibility,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m orderkit.classroom.batch.autograder [ROOT]``: what run_autograder runs."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0] if args else os.environ.get(ROOT_ENV, str(DEFAULT_ROOT)))
    data = run(root)
    print(f"orderkit: wrote {root / 'results' / 'results.json'} (score {data['score']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
