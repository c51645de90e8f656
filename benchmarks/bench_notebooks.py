"""Wall time to validate every lesson notebook, against the floor of bare kernel start-ups.

Prints three figures measured in one run:

* validation: wall time of the strict nbval run ``make notebooks`` does (pytest-xdist
  workers, ``--dist loadscope``);
* floor: N bare kernel start + stop (N = number of notebooks; each notebook needs one
  kernel), divided by the worker count: what validation could not beat even if every cell
  took no time;
* ratio: validation / floor. Target <= 1.5.

Run: ``python benchmarks/bench_notebooks.py [--jobs N] [--json]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5
NBVAL = [
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "tests/nbval-sanitize.cfg",
    "-p",
    "no:cacheprovider",
]


def _notebooks() -> list[Path]:
    """What ``make notebooks`` validates: the lessons and the instructor exercises."""
    lessons = sorted((ROOT / "notebooks").glob("0[0-9]-*.ipynb"))
    return lessons + sorted((ROOT / "classroom" / "source").glob("*.ipynb"))


def validation_seconds(jobs: int) -> float:
    """Wall time of one strict validation of all lessons; raise if it fails."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for name in ("CI", "BUILD_NUMBER"):  # as make notebooks does
        env.pop(name, None)
    workers = ["-n", str(jobs), "--dist", "loadscope"] if jobs > 1 else ["-p", "no:xdist"]
    command = [sys.executable, "-m", "pytest", "-q", *NBVAL, *workers, *map(str, _notebooks())]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"validation failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed


def kernel_floor_seconds(kernels: int, jobs: int) -> float:
    """Time ``kernels`` bare kernel start + stop in a row, divided by ``jobs``."""
    start = time.perf_counter()
    for _ in range(kernels):
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return (time.perf_counter() - start) / jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="xdist workers")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    notebooks = _notebooks()
    floor = kernel_floor_seconds(len(notebooks), args.jobs)
    validation = validation_seconds(args.jobs)
    ratio = validation / floor
    figures = {
        "notebooks": len(notebooks),
        "jobs": args.jobs,
        "validation_s": round(validation, 2),
        "floor_s": round(floor, 2),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"notebooks validated    {len(notebooks)} with {args.jobs} worker(s)")
    print(f"validation wall time   {validation:.2f} s")
    print(f"kernel floor           {floor:.2f} s  ({len(notebooks)} start+stop / {args.jobs})")
    met = "yes" if figures["met"] else "NO"
    print(f"ratio                  {ratio:.2f}  (target <= {TARGET_RATIO}: {met})")


if __name__ == "__main__":
    main()
