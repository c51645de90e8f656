"""What the coverage hints cost: ``orderkit grade`` and ``check()`` with and without them.

The hints need one more run per submission whose tests are all valid (the reference
again, coverage.py measuring). In the same process this grades the same generated
submissions twice, with the hint run and without it (``ORDERKIT_NO_HINTS=1``), in
alternating order, and times ``check()`` on one notebook's tests both ways. Target: the
hints add at most 35% to the batch's time per submission.

Run: ``python benchmarks/bench_hints.py [--submissions N] [--jobs N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import types
from pathlib import Path

from bench_grade import write_submissions
from student_tests import TWENTY_TESTS

from orderkit.classroom import check, load
from orderkit.classroom.batch.scheduler import grade_all
from orderkit.classroom.grading.hints import NO_HINTS

TARGET = 1.35


def _batch(paths: list[Path], out: Path, jobs: int, hints: bool) -> tuple[float, int]:
    """Seconds per submission, and how many rows have hints."""
    os.environ[NO_HINTS] = "0" if hints else "1"
    started = time.perf_counter()
    grades, _ = grade_all(paths, out, load(), exercise_id="unit-tests", jobs=jobs, force=True)
    took = time.perf_counter() - started
    return took / len(paths), sum(bool(g.result and g.result.hints) for g in grades)


def _check(hints: bool, rounds: int = 3) -> float:
    """Seconds of one check() of the twenty tests, best of ``rounds``."""
    os.environ[NO_HINTS] = "0" if hints else "1"
    module = types.ModuleType("student")
    exec(TWENTY_TESTS, module.__dict__)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        check("unit-tests", module=module)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hints-") as folder:
        root = Path(folder)
        paths = write_submissions(root)[: args.submissions]
        without, _ = _batch(paths, root / "without", args.jobs, hints=False)
        with_hints, hinted = _batch(paths, root / "with", args.jobs, hints=True)
        again, _ = _batch(paths, root / "without-again", args.jobs, hints=False)
        baseline = (without + again) / 2
        check_without, check_with = _check(hints=False), _check(hints=True)
    ratio = with_hints / baseline
    figures = {
        "submissions": len(paths),
        "with_hints": hinted,
        "batch_s_per_submission": {"without": round(baseline, 3), "with": round(with_hints, 3)},
        "batch_ratio": round(ratio, 3),
        "check_s": {"without": round(check_without, 3), "with": round(check_with, 3)},
        "target_ratio": TARGET,
        "met": ratio <= TARGET,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{len(paths)} submissions ({hinted} with every test valid: hinted), {args.jobs} jobs")
    print(f"orderkit grade  without hints {baseline:.3f} s per submission")
    print(f"orderkit grade  with hints    {with_hints:.3f} s per submission ({ratio:.2f}x)")
    print(f"check()         without hints {check_without:.3f} s, with {check_with:.3f} s")
    print(f"target: at most {TARGET:g}x in the batch: {'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
