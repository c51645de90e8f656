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
private bugs only as "hidden bug 2 of 5", caught or not, with no title and no hint, shown
when the teacher publishes the grades (``"visibility": "after_published"``). No bug's change
is ever written, and stdout (the grader's log, with the teacher's notes) is for instructors.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.batch.scheduler import Grade, expand, grade_all
from orderkit.classroom.bugs import catalogue as catalogues
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import ChaffResult, CheckResult

ROOT_ENV = "ORDERKIT_GRADESCOPE_ROOT"
"""Where the autograder's folders are (default ``/autograder``): a test simulates the layout."""
DEFAULT_ROOT = Path("/autograder")
MANIFEST = "orderkit-autograder.json"
FORMAT = 1  # of the manifest: a kit that reads another format says so instead of guessing
POINTS = 100.0  # an exercise's points, as a percentage in `orderkit grade`
ZIP = "autograder.zip"
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


class AutograderError(ClassroomError):
    """The autograder cannot be written: a missing catalogue, no wheel, a folder in the way."""


@dataclass(frozen=True)
class Setup:
    """What an autograder grades with: catalogue files, the exercise, the limits."""

    public: tuple[Path, ...] = ()
    private: tuple[Path, ...] = ()
    kit_bugs: bool = True
    exercise: str | None = None
    timeout: float = SUBMISSION_TIMEOUT
    memory_mib: int = MEMORY_MIB
    test_timeout: float = TEST_TIMEOUT
    name: str = ""


def build(setup: Setup, out: Path, *, wheel: Path | None = None) -> Path:
    """Write the autograder's files into ``out`` and zip them; return the zip's path.

    ``out`` holds what Gradescope will unpack into ``/autograder/source`` (``setup.sh``,
    ``run_autograder``, the kit's wheel, the catalogues, a manifest) and ``autograder.zip``
    with the same files at its root, the file to upload. A folder ``out`` of something else
    is refused; one this function wrote before is replaced.
    """
    catalogue = catalogues.load([*setup.public, *setup.private], shipped=setup.kit_bugs)
    if setup.exercise is not None:
        catalogues.exercise(setup.exercise)
    if not catalogue.of_kind("chaff"):
        raise AutograderError("the catalogue has no bug (chaff) to grade with")
    _clear(out)
    with tempfile.TemporaryDirectory(prefix="orderkit-gradescope-") as scratch:
        built = wheel if wheel is not None else _wheel(Path(scratch))
        if not built.is_file() or not built.name.endswith(".whl"):
            raise AutograderError(f"{built}: not a wheel file")
        out.mkdir(parents=True)
        shutil.copy2(built, out / built.name)
    public = _copy(setup.public, out / "catalogues" / "public")
    private = _copy(setup.private, out / "catalogues" / "private")
    constraints = KIT / "constraints.txt"
    if constraints.is_file():
        shutil.copy2(constraints, out / "constraints.txt")
    manifest = {
        "format": FORMAT,
        "name": setup.name,
        "wheel": built.name,
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
    try:
        data = _grade(root)
    except Exception:  # the autograder's own failure: the student still gets an answer
        print("orderkit: the autograder failed:", flush=True)
        traceback.print_exc(file=sys.stdout)
        data = {"score": 0.0, "output": OUR_FAULT, "tests": []}
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
    public = [source / p for p in manifest["public"]]
    private = [source / p for p in manifest["private"]]
    catalogue = catalogues.load([*public, *private], shipped=manifest["kit_bugs"])
    hidden = frozenset(i.name for path in private for i in catalogues.read(path))
    try:
        paths = expand([root / "submission"])
    except ClassroomError:
        return {"score": 0.0, "output": NO_NOTEBOOK, "tests": []}
    with tempfile.TemporaryDirectory(prefix="orderkit-gradescope-") as out:
        grades, _ = grade_all(
            paths,
            Path(out),
            catalogue,
            exercise_id=manifest["exercise"],
            timeout=manifest["timeout"],
            memory_mib=manifest["memory_mib"],
            test_timeout=manifest["test_timeout"],
        )
    for grade in grades:  # the instructors' log (stdout), never shown to students
        print(f"orderkit: {grade.file}: {grade.exercise or '-'}: score {grade.score}")
        print(f"  notes: {grade.notes or '-'}; limits: {grade.limits or '-'}")
        print(f"  isolation: {grade.isolation}")
    return results(grades, hidden)


def results(grades: Sequence[Grade], hidden: frozenset[str]) -> dict[str, Any]:
    """``results.json`` for a submission's grades (one per notebook); ``hidden``: private bugs.

    Per notebook: a line of the overall output, a "your tests" entry (what ``check()``
    prints, for the public bugs), one entry per public bug (points when caught, the title
    only when caught, else the hint), one per hidden bug and their count, shown after the
    grades are published. Each notebook is worth its exercise's points, shared among its
    bugs; the score is their sum.
    """
    tests: list[dict[str, Any]] = []
    lines: list[str] = []
    score = 0.0  # exact: the tests' rounded scores may not add up (12 bugs of 8.33)
    for grade in grades:
        label = grade.exercise or Path(grade.file).name
        if grade.result is None:
            why = f"{Path(grade.file).name} could not be graded: {grade.notes}. {NOT_GRADED}"
            lines.append(f"{label}: {why}")
            tests.append(_test(f"{label}: could not be graded", 0.0, POINTS, why))
            continue
        summary, entries = _exercise(label, grade.result, hidden)
        lines.append(summary)
        tests += entries
        score += POINTS * grade.result.score
    return {"score": round(score, 2), "output": "\n".join(lines), "tests": tests}


def _exercise(
    label: str, result: CheckResult, hidden: frozenset[str]
) -> tuple[str, list[dict[str, Any]]]:
    public = dataclasses.replace(
        result, chaffs=tuple(c for c in result.chaffs if c.name not in hidden), show_titles=False
    )
    secret = [c for c in result.chaffs if c.name in hidden]
    each = POINTS / len(result.chaffs) if result.chaffs else 0.0
    tests = [_test(f"{label}: your tests", 0.0, 0.0, _your_tests(public))]
    for chaff in public.chaffs:
        tests.append(_bug(label, chaff, each))
    for number, chaff in enumerate(secret, start=1):
        said = "caught by your tests" if chaff.caught else "not caught"
        name = f"{label}: hidden bug {number} of {len(secret)}"
        tests.append(_test(name, each * chaff.caught, each, said, "after_published"))
    if secret:
        count = f"hidden bugs: {sum(c.caught for c in secret)} of {len(secret)} caught"
        tests.append(_test(f"{label}: {count}", 0.0, 0.0, count, "after_published"))
    summary = f"{label}: {public.summary()}"
    return (summary + f"; {HIDDEN_LATER}" if secret else summary), tests


def _your_tests(public: CheckResult) -> str:
    """What ``check()`` prints about the tests themselves (the bugs have their own entries)."""
    lines = str(dataclasses.replace(public, chaffs=())).splitlines()[1:]
    return "\n".join([public.summary(), *lines])


def _bug(label: str, chaff: ChaffResult, points: float) -> dict[str, Any]:
    if chaff.caught:
        name = f"{label}: caught: {chaff.title}"
        return _test(name, points, points, f"caught by {', '.join(chaff.caught_by)}")
    name = f"{label}: {_article(chaff.level)} {chaff.level} bug, not caught yet"
    return _test(name, 0.0, points, f"hint: {chaff.hint}")


def _article(level: str) -> str:
    """The article by sound: "an integration bug", "a unit bug" (the levels' first sounds)."""
    return "an" if level[:1] in "aeio" else "a"


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
