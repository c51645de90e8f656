"""Batch grading speed: seconds per submission for 30 generated submissions.

``orderkit grade`` runs each submission once per implementation of its schedule (wheats,
then the chaffs and misconceptions that can still change a verdict), each run a fresh
Python in its own sandbox that re-executes the notebook's cells. In the same run,
``nbgrader autograde`` grades equivalent notebooks (the same
cells, plus one autograder cell that runs the same tests once, on correct code only) if
nbgrader is available: in this environment, in ``--nbgrader-venv`` (created with pip on
first use unless ``--no-nbgrader``). Target: orderkit >= 3x faster per submission.

Run: ``python benchmarks/bench_grade.py [--jobs N] [--json] [--no-nbgrader]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from student_tests import TWENTY_TESTS

from orderkit.classroom import load
from orderkit.classroom.batch.scheduler import grade_all

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = 30
TARGET_RATIO = 3.0
HEADER, _, BODY = TWENTY_TESTS.partition("\n\ndef ")
TESTS = ["def " + test for test in BODY.split("\n\ndef ")]


def _student_cells(index: int) -> tuple[str, str]:
    """A student's (imports, tests): a different, deterministic share of the 20 tests each."""
    keep = [test for n, test in enumerate(TESTS) if (n + index) % (1 + index % 4) == 0]
    return HEADER.strip(), "\n\n".join(keep or TESTS[:1])


def write_submissions(folder: Path) -> list[Path]:
    """Write the orderkit submissions: one notebook per student."""
    paths = []
    for index in range(SUBMISSIONS):
        setup, tests = _student_cells(index)
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(tests)]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        path = folder / f"student{index:02d}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def _nbgrader_cell(source: str, grade_id: str, **flags: object) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade_id": grade_id,
        "grade": bool(flags.get("grade", False)),
        "solution": bool(flags.get("solution", False)),
        "locked": bool(flags.get("locked", False)),
        "schema_version": 3,
        **({"points": 1} if flags.get("grade") else {}),
    }
    return cell


def _nbgrader_notebook(setup: str, tests: str) -> Any:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _nbgrader_cell(setup, "setup", locked=True),
        _nbgrader_cell(tests, "student_tests", solution=True),
        _nbgrader_cell(
            "import ipytest\nassert ipytest.run('-q', '-p', 'no:cacheprovider') == 0",
            "run_tests",
            grade=True,
            locked=True,
        ),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return notebook


def orderkit_seconds(paths: list[Path], jobs: int, out: Path) -> float:
    start = time.perf_counter()
    grades, _ = grade_all(paths, out, load(), exercise_id="unit-tests", jobs=jobs)
    elapsed = time.perf_counter() - start
    failed = [g for g in grades if g.result is None or g.result.invalid]
    if failed:
        raise SystemExit(f"orderkit could not grade: {failed[0].student}: {failed[0].notes}")
    return elapsed / len(paths)


def _nbgrader_python(args: argparse.Namespace) -> Path | None:
    """The python of an environment with nbgrader and orderkit, or None (and why)."""
    here = subprocess.run([sys.executable, "-c", "import nbgrader"], capture_output=True)
    if here.returncode == 0:
        return Path(sys.executable)
    venv = Path(args.nbgrader_venv)
    python = venv / "bin" / "python"
    if not python.exists():
        if args.no_nbgrader:
            return None
        print(f"installing nbgrader into {venv} (once) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "nbgrader", "-e", str(ROOT)], check=True
        )
    return python


def nbgrader_seconds(python: Path, folder: Path) -> float:
    """Per-submission wall time of ``nbgrader autograde`` on equivalent notebooks."""
    course = folder / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    setup, tests = _student_cells(0)
    nbformat.write(_nbgrader_notebook(setup, tests), course / "source" / "ps1" / "ex.ipynb")
    for index in range(SUBMISSIONS):
        target = course / "submitted" / f"student{index:02d}" / "ps1"
        target.mkdir(parents=True)
        nbformat.write(_nbgrader_notebook(*_student_cells(index)), target / "ex.ipynb")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.Execute.timeout = 120\n"
    )
    nbgrader = [str(python), "-m", "nbgrader"]
    # nbgrader runs its database migrations with the `alembic` script of its environment.
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
    }
    generated = subprocess.run(
        [*nbgrader, "generate_assignment", "ps1", "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if generated.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{generated.stderr[-3000:]}")
    start = time.perf_counter()
    done = subprocess.run(
        [*nbgrader, "autograde", "ps1", "--create", "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    graded = list((course / "autograded").glob("*/ps1/ex.ipynb"))
    if done.returncode != 0 or len(graded) != SUBMISSIONS:
        raise SystemExit(
            f"nbgrader autograde failed ({len(graded)} graded):\n{done.stderr[-3000:]}"
        )
    return elapsed / SUBMISSIONS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-nbgrader", action="store_true", help="do not install nbgrader")
    parser.add_argument("--nbgrader-venv", default=str(ROOT / ".bench" / "nbgrader-venv"))
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="orderkit-bench-grade-"))
    try:
        ours = orderkit_seconds(write_submissions(folder), args.jobs, folder / "grades")
        python = _nbgrader_python(args)
        theirs = None if python is None else nbgrader_seconds(python, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratio = None if theirs is None else theirs / ours
    figures = {
        "submissions": SUBMISSIONS,
        "jobs": args.jobs,
        "orderkit_s_per_submission": round(ours, 3),
        "nbgrader_s_per_submission": None if theirs is None else round(theirs, 3),
        "speedup": None if ratio is None else round(ratio, 1),
        "target_speedup": TARGET_RATIO,
        "met": None if ratio is None else ratio >= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{SUBMISSIONS} submissions, {args.jobs} worker(s)")
    print(f"orderkit grade      {ours:.3f} s per submission (every implementation, sandboxed)")
    if theirs is None:
        print("nbgrader autograde  not measured: not installed and --no-nbgrader given")
        return
    print(f"nbgrader autograde  {theirs:.3f} s per submission (correct code only)")
    met = "yes" if figures["met"] else "NO"
    print(f"speed-up            {ratio:.1f}x (target >= {TARGET_RATIO:g}x: {met})")


if __name__ == "__main__":
    main()
