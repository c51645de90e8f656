"""Wall time of ``make notebooks``, and of the same validation in one process.

Prints figures measured in one run, on the venv of the Python that runs this script:

* validation: median wall time of ``make notebooks`` itself (strict nbval over the lessons
  and the instructor exercises, with the Makefile's workers and options, whatever they are);
* one process: the same with ``JOBS=0`` (no xdist workers), run alternately with the first,
  so both see the same machine;
* speed-up: one process / validation, what the Makefile's ``-n $(JOBS)`` buys here.

No target: the figures show a change coming (a lesson grown slow, a package that starts
slower, workers that no longer pay), they do not gate anything. The machine's load average
is printed too: other processes slow validation, and on a shared machine the runs vary.

Run: ``python benchmarks/bench_notebooks.py [--runs N] [--json]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)


def _notebooks() -> list[Path]:
    """What ``make notebooks`` validates: the lessons and the instructor exercises."""
    lessons = sorted((ROOT / "notebooks").glob("0[0-9]-*.ipynb"))
    return lessons + sorted((ROOT / "classroom" / "source").glob("*.ipynb"))


def _make(*args: str) -> list[str]:
    return ["make", "--no-print-directory", f"VENV={VENV}", *args]


def make_jobs() -> str:
    """The xdist worker count ``make notebooks`` passes (``-n ...``), read from ``make -n``."""
    dry_run = subprocess.run(
        _make("-n", "notebooks"), cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = re.search(r" -n (\S+)", dry_run.stdout)
    return found.group(1) if found else "0"


def validation_seconds(*make_args: str) -> float:
    """Wall time of one ``make notebooks``; raise if it fails or would install first."""
    installed = subprocess.run(_make("-q", str(VENV / ".installed-dev")), cwd=ROOT)
    if installed.returncode != 0:  # timing pip would say nothing about validation
        raise SystemExit(f"{VENV} is not up to date: run `make test` (or `make unit`) first")
    start = time.perf_counter()
    done = subprocess.run(_make("notebooks", *make_args), cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"validation failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    load = os.getloadavg()[0]
    validation: list[float] = []
    one_process: list[float] = []
    for run in range(args.runs):  # alternate, and swap who goes first, to share the noise
        order = [(validation, ()), (one_process, ("JOBS=0",))]
        for times, make_args in order if run % 2 == 0 else order[::-1]:
            times.append(validation_seconds(*make_args))
            load = max(load, os.getloadavg()[0])
    median, single = statistics.median(validation), statistics.median(one_process)
    cores = os.cpu_count() or 1
    figures = {
        "notebooks": len(_notebooks()),
        "jobs": make_jobs(),
        "cores": cores,
        "runs": args.runs,
        "load_average": round(load, 2),
        "validation_s": round(median, 2),
        "validation_runs_s": [round(seconds, 2) for seconds in validation],
        "one_process_s": round(single, 2),
        "one_process_runs_s": [round(seconds, 2) for seconds in one_process],
        "speedup": round(single / median, 2),
    }
    if args.json:
        print(json.dumps(figures))
        return
    runs = f"median of {args.runs}"
    print(f"notebooks validated    {figures['notebooks']} (make notebooks, -n {figures['jobs']})")
    print(f"validation wall time   {median:.2f} s  ({runs}: {figures['validation_runs_s']})")
    print(
        f"in one process         {single:.2f} s  (JOBS=0, {runs}: {figures['one_process_runs_s']})"
    )
    print(f"speed-up of the jobs   {single / median:.2f}x")
    print(f"load average (1 min)   {load:.2f} on {cores} cores (highest seen)")


if __name__ == "__main__":
    main()
