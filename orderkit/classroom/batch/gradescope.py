"""A Gradescope autograder zip: the class graded one submission per container, by Gradescope.

Gradescope runs an autograder zip in a fresh container for every submission: ``setup.sh``
once, when the image is built, then ``run_autograder`` per submission, with the submission
in ``/autograder/submission/`` and the zip's files in ``/autograder/source/``; whatever
``/autograder/results/results.json`` says is the grade
(https://gradescope-autograders.readthedocs.io/en/latest/specs/). So the scaling is
Gradescope's; this module writes such a zip (:func:`build`): the kit's wheel, the
catalogues, a manifest and the two scripts. What runs in the container, per submission, is
:mod:`orderkit.classroom.batch.autograder`.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orderkit.classroom.bugs import catalogue as catalogues
from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.bugs.course import Course
from orderkit.classroom.defaults import MEMORY_MIB, SUBMISSION_TIMEOUT, TEST_TIMEOUT
from orderkit.classroom.errors import ClassroomError

ROOT_ENV = "ORDERKIT_GRADESCOPE_ROOT"
"""Where the autograder's folders are (default ``/autograder``): a test simulates the layout."""
DEFAULT_ROOT = Path("/autograder")
MANIFEST = "orderkit-autograder.json"
FORMAT = 1  # of the manifest: a kit that reads another format says so instead of guessing
ZIP = "autograder.zip"
KIT = Path(__file__).resolve().parents[3]  # the checkout, when the kit runs from one
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
exec "$PYTHON" -m orderkit.classroom.batch.autograder "$ROOT"
"""
