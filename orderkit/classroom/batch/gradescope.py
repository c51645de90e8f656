"""A Gradescope autograder: the class graded one submission per container, by Gradescope.

Gradescope runs an autograder zip in a fresh container for every submission: ``setup.sh``
once, when the image is built, then ``run_autograder`` per submission, with the submission
in ``/autograder/submission/`` and the zip's files in ``/autograder/source/``; whatever
``/autograder/results/results.json`` says is the grade
(https://gradescope-autograders.readthedocs.io/en/latest/specs/). So the scaling is
Gradescope's; this module only writes such a zip (:func:`build`) and, inside the container,
grades the one submission with the batch grader's clean runs, as ``orderkit grade`` grades
one notebook (:func:`run`, :func:`results`).

What a student sees in ``results.json`` is what ``check()`` shows, and no more: the public
bugs caught by title, the others by their hint only, why a test is not valid; the teacher's
private bugs only as a count, "hidden bugs: 3 of 5 caught", with their points, shown when the
teacher publishes the grades (``"visibility": "after_published"``). No bug's change is ever
written, and stdout (the grader's log, with the teacher's notes) is for instructors only.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.batch import sandbox, submissions
from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.bugs import catalogue as catalogues
from orderkit.classroom.bugs.catalogue import Catalogue, Exercise
from orderkit.classroom.bugs.course import Course
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import ChaffResult, CheckResult, a_bug

ROOT_ENV = "ORDERKIT_GRADESCOPE_ROOT"
"""Where the autograder's folders are (default ``/autograder``): a test simulates the layout."""
DEFAULT_ROOT = Path("/autograder")
MANIFEST = "orderkit-autograder.json"
FORMAT = 1  # of the manifest: a kit that reads another format says so instead of guessing
ZIP = "autograder.zip"
_SUBREAPER = 36  # prctl(2): PR_SET_CHILD_SUBREAPER
KIT = Path(__file__).resolve().parents[3]  # the checkout, when the kit runs from one
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
COURSE = "course"  # the folder of the zip that holds a course's course.toml and catalogues


class AutograderError(ClassroomError):
    """The autograder cannot be written: a missing catalogue, no wheel, a folder in the way."""


@dataclass(frozen=True)
class Setup:
    """What an autograder grades with: a course, or catalogue files; the exercise, limits.

    With ``course`` (a ``course.toml``) its catalogues, public and private, and its
    exercises travel in the zip as the course folder has them; ``public``, ``private`` and
    ``kit_bugs`` are for catalogue files without a course.
    """

    course: Path | None = None
    public: tuple[Path, ...] = ()
    private: tuple[Path, ...] = ()
    kit_bugs: bool = True
    exercise: str | None = None
    timeout: float = SUBMISSION_TIMEOUT
    memory_mib: int = MEMORY_MIB
    test_timeout: float = TEST_TIMEOUT

    def catalogue(self) -> Catalogue:
        """The catalogue the batch grades with: public and private entries."""
        if self.course is not None:
            return Course.read(self.course).catalogue(private=True)
        return catalogues.load(self.public, private=self.private, shipped=self.kit_bugs)

    def private_files(self) -> tuple[Path, ...]:
        """The private catalogues' files (the course's, or ``private``)."""
        return self.private if self.course is None else Course.read(self.course).private


def build(setup: Setup, out: Path, *, wheel: Path | None = None) -> Path:
    """Write the autograder's files into ``out`` and zip them; return the zip's path.

    ``out`` holds what Gradescope will unpack into ``/autograder/source`` (``setup.sh``,
    ``run_autograder``, the kit's wheel, the catalogues, a manifest) and ``autograder.zip``
    with the same files at its root, the file to upload. A folder ``out`` of something else
    is refused; one this function wrote before is replaced.
    """
    catalogue = setup.catalogue()
    if setup.exercise is not None:
        catalogue.exercise(setup.exercise)
    if not catalogue.of_kind("chaff"):
        raise AutograderError("the catalogue has no bug (chaff) to grade with")
    with tempfile.TemporaryDirectory(prefix="orderkit-gradescope-") as scratch:
        built = _wheel(Path(scratch)) if wheel is None else Path(scratch) / wheel.name
        if wheel is not None:  # copied first: it may be the one in `out` from last time
            if not wheel.is_file() or not wheel.name.endswith(".whl"):
                raise AutograderError(f"{wheel}: not a wheel file")
            shutil.copy2(wheel, built)
        _clear(out)
        out.mkdir(parents=True)
        shutil.copy2(built, out / built.name)
    course = None if setup.course is None else _copy_course(Course.read(setup.course), out)
    public = _copy(setup.public, out / "catalogues" / "public")
    private = _copy(setup.private, out / "catalogues" / "private")
    constraints = KIT / "constraints.txt"
    if constraints.is_file():
        shutil.copy2(constraints, out / "constraints.txt")
    manifest = {
        "format": FORMAT,
        "wheel": built.name,
        "course": course,
        "public": public,
        "private": private,
        "kit_bugs": setup.kit_bugs,
        "exercise": setup.exercise,
        "timeout": setup.timeout,
        "memory_mib": setup.memory_mib,
        "test_timeout": setup.test_timeout,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
        script = out / name
        script.write_text(text.replace("@WHEEL@", built.name), encoding="utf-8")
        script.chmod(0o755)
    archive = out / ZIP
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and p != archive):
            zipped.write(path, path.relative_to(out).as_posix())
    return archive


def _clear(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file()):
        raise AutograderError(
            f"{out}: exists and is not an autograder folder written by orderkit; "
            "give a new or empty folder"
        )
    shutil.rmtree(out)


def _copy_course(course: Course, out: Path) -> str:
    """Copy ``course.toml`` and its catalogues, as laid out in the course folder.

    Only these: never the instructor notebooks, the roster or the students' work. Their
    paths stay as ``course.toml`` names them, so a catalogue outside the course folder
    cannot travel and is an error.
    """
    for path in (course.path, *course.bugs, *course.private):
        resolved = path.resolve()
        if course.root not in resolved.parents:
            raise AutograderError(
                f"{path}: outside the course folder {course.root}; move it into the "
                "course folder (the autograder carries the course folder's layout)"
            )
        target = out / COURSE / resolved.relative_to(course.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(resolved, target)
    return f"{COURSE}/{course.path.name}"


def _copy(files: Sequence[Path], folder: Path) -> list[str]:
    """Copy catalogue files into ``folder``, numbered (two may share a name)."""
    names = []
    for number, path in enumerate(files, start=1):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{number}-{path.name}"
        shutil.copy2(path, target)
        names.append(target.relative_to(folder.parents[1]).as_posix())
    return names


def _wheel(scratch: Path) -> Path:
    """A wheel of the kit, built from its checkout (a copy: the checkout stays clean)."""
    if not (KIT / "pyproject.toml").is_file():
        raise AutograderError(
            "the kit is not running from its checkout, so it cannot build its own wheel: "
            "give one with --wheel (pip wheel --no-deps /path/to/orderkit)"
        )
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(KIT / name, source)
    shutil.copytree(
        KIT / "orderkit", source / "orderkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", "wheel"]
    if importlib.util.find_spec("setuptools") is not None:  # no download of the backend
        pip.append("--no-build-isolation")
    done = subprocess.run(
        [*pip, "--no-deps", "-w", str(scratch / "wheels"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = sorted((scratch / "wheels").glob("orderkit-*.whl"))
    if done.returncode != 0 or not found:
        raise AutograderError(f"building the kit's wheel failed: {done.stderr.strip()[-500:]}")
    return found[0]


# Gradescope runs setup.sh as root while it builds the image; its base image may have no
# Python (then apt-get installs Ubuntu's, 3.10 on 22.04). The kit goes into its own venv
# (Ubuntu 24.04 refuses pip outside one); the pinned versions first, else the newest that
# install on this Python (the pins may need a newer Python than the image has).
SETUP_SH = """\
#!/usr/bin/env bash
# Written by `orderkit gradescope`: installs Python (if missing) and the kit in a venv.
set -euo pipefail
ROOT="${ORDERKIT_GRADESCOPE_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/orderkit-venv"
PYTHON="${ORDERKIT_SETUP_PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null
then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        python3 python3-venv
    PYTHON=python3
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
KIT="$SOURCE/@WHEEL@[teacher]"
if ! "$VENV/bin/python" -m pip install --quiet -c "$SOURCE/constraints.txt" "$KIT"; then
    echo "setup.sh: the kit's pinned versions do not install here; installing without pins"
    "$VENV/bin/python" -m pip install --quiet "$KIT"
fi
"$VENV/bin/python" -m orderkit --help > /dev/null
echo "setup.sh: orderkit installed in $VENV"
"""

# Gradescope copies this to /autograder/run_autograder and runs it per submission, as root,
# from /autograder; it must leave results/results.json, which `run` writes in every case.
RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Written by `orderkit gradescope`: grades /autograder/submission into results/results.json.
set -u
ROOT="${ORDERKIT_GRADESCOPE_ROOT:-/autograder}"
PYTHON="${ORDERKIT_PYTHON:-$ROOT/orderkit-venv/bin/python}"
cd "$ROOT"
exec "$PYTHON" -m orderkit.classroom.batch.gradescope "$ROOT"
"""


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
    """``python -m orderkit.classroom.batch.gradescope [ROOT]``: what run_autograder runs."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0] if args else os.environ.get(ROOT_ENV, str(DEFAULT_ROOT)))
    data = run(root)
    print(f"orderkit: wrote {root / 'results' / 'results.json'} (score {data['score']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
