"""Run strict notebook validation (what ``make notebooks`` runs) N times in a row.

Prints one line per run and a final ``N passed, M failed`` line; exits non-zero if any run
failed. Flaky notebooks show up here long before they show up in someone's CI.

    python tools/stability.py --runs 20
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    passed = failed = 0
    for run in range(1, args.runs + 1):
        start = time.perf_counter()
        done = subprocess.run(
            ["make", "--no-print-directory", "notebooks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - start
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1].strip("= ")
        if done.returncode == 0:
            passed += 1
        else:
            failed += 1
            log = ROOT / f"stability-run-{run}.log"
            log.write_text(done.stdout + done.stderr)
            summary += f"  (log: {log.name})"
        print(
            f"run {run:2d}/{args.runs}: {'ok  ' if done.returncode == 0 else 'FAIL'} "
            f"{took:5.1f} s  {summary}",
            flush=True,
        )
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
