"""The gradebook at 30, 300 and 1,000 students: time per submission, peak memory, page load.

Grading runs are not measured here (``bench_grade.py`` does that): each class is a generated
set of graded results (``tests/classroom/big_class.py``) taken through everything that
follows grading, as ``orderkit grade`` does it: every row written to ``results/`` and
``grades.csv`` as it finishes, ``grades.csv`` rewritten in order, a feedback page and its
JSON per student, ``report.html``, and the Canvas and Moodle exports. Each size runs in a
fresh process, so its peak memory (``ru_maxrss``) is its own. Then Chromium opens the
1,000-student report from disk and the navigation's ``loadEventEnd`` is read.

Targets: time per submission at 1,000 within 1.2x of the figure at 30; peak memory flat
(at 1,000 within 1.2x of 30); the 1,000-row report loaded in under 2 s.

Run: ``python benchmarks/bench_gradebook.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = (30, 300, 1000)
TIME_RATIO, MEMORY_RATIO, LOAD_MS = 1.2, 1.2, 2000.0
CHROMIUM = Path("/usr/bin/chromium")


def one(size: int, out: Path) -> dict[str, float]:
    """Write everything grading writes for a class of ``size`` (in this process)."""
    sys.path.insert(0, str(ROOT))
    from orderkit.classroom.batch import lms
    from orderkit.classroom.batch.gradebook import Book
    from orderkit.classroom.report.feedback import write_feedback
    from orderkit.classroom.report.page import write_report
    from tests.classroom.big_class import generated_class

    grades = generated_class(size)
    write_report(generated_class(3), out / "warm-up")  # imports and template compiles
    started = time.perf_counter()
    book = Book.open(out, force=True)
    for grade in grades:
        book.add(grade)
    book.rewrite(grades)
    write_feedback(grades, out)
    write_report(grades, out)
    rows = lms.export_rows(grades, [])
    for kind in ("canvas", "moodle"):
        lms.WRITERS[kind](rows, [("all", "All bugs", 20.0)], out / lms.EXPORT_FILES[kind])
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "s_per_submission": took / size, "peak_mib": peak}


def load_ms(*reports: Path) -> list[float] | None:
    """Chromium's loadEventEnd for each report, the median of 5 loads each (None when
    Chromium or Playwright is missing). Loads alternate between the reports, so a busy
    moment of the machine weighs on each alike."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        times: list[list[float]] = [[] for _ in reports]
        for _ in range(5):
            for report, taken in zip(reports, times, strict=True):
                page = browser.new_page()
                page.goto(report.as_uri(), wait_until="load")
                taken.append(
                    page.evaluate(
                        "() => performance.getEntriesByType('navigation')[0].loadEventEnd"
                    )
                )
                page.close()
        browser.close()
    return [float(sorted(taken)[2]) for taken in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in a child
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.out)))
        return 0
    figures: dict[str, Any] = {"sizes": {}}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            out = Path(folder) / str(size)
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--out", str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures["sizes"][size] = json.loads(done.stdout.strip().splitlines()[-1])
        loads = load_ms(Path(folder) / "30" / "report.html", Path(folder) / "1000" / "report.html")
        figures["load_ms_30"], figures["load_ms_1000"] = loads or (None, None)
    small, large = figures["sizes"][SIZES[0]], figures["sizes"][SIZES[-1]]
    figures["time_ratio"] = large["s_per_submission"] / small["s_per_submission"]
    figures["memory_ratio"] = large["peak_mib"] / small["peak_mib"]
    figures["targets"] = {
        "time_ratio": TIME_RATIO,
        "memory_ratio": MEMORY_RATIO,
        "load_ms": LOAD_MS,
    }
    figures["met"] = (
        figures["time_ratio"] <= TIME_RATIO
        and figures["memory_ratio"] <= MEMORY_RATIO
        and (figures["load_ms_1000"] is None or figures["load_ms_1000"] < LOAD_MS)
    )
    if args.json:
        print(json.dumps(figures))
        return 0
    for size, f in figures["sizes"].items():
        print(
            f"{size:>5} students: {1000 * f['s_per_submission']:.2f} ms/submission, "
            f"peak {f['peak_mib']:.0f} MiB"
        )
    print(
        f"time per submission, 1,000 / 30: {figures['time_ratio']:.2f}x (target <= {TIME_RATIO}x)"
    )
    print(f"peak memory, 1,000 / 30: {figures['memory_ratio']:.2f}x (target <= {MEMORY_RATIO}x)")
    load, base = figures["load_ms_1000"], figures["load_ms_30"]
    if load is None:
        print("report.html in Chromium: not measured (no Chromium or Playwright)")
    else:
        print(
            f"report.html in Chromium (median of 5): 1,000 rows {load:.0f} ms "
            f"(target < {LOAD_MS:.0f} ms), 30 rows {base:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
