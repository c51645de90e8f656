"""Wall time of ``make notebooks``, against the floor of the bare kernel starts it needs.

Prints three figures measured in one run, on the venv of the Python that runs this script:

* validation: wall time of ``make notebooks`` itself (strict nbval, the Makefile's workers
  and options, whatever they are);
* floor: N bare kernel start + stop in a row (N = number of notebooks; each needs one
  kernel), divided by the number of cores: what validation could not beat even if every
  cell took no time and every core started kernels all along;
* ratio: validation / floor. Target <= 2.0.

The machine's load average is printed too: other processes slow validation (many
processes, run on all cores) more than the floor (one kernel at a time).

Run: ``python benchmarks/bench_notebooks.py [--jobs N] [--json]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0
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


def validation_seconds(jobs: int | None) -> float:
    """Wall time of one ``make notebooks``; raise if it fails or would install first."""
    installed = subprocess.run(_make("-q", str(VENV / ".installed-dev")), cwd=ROOT)
    if installed.returncode != 0:  # timing pip would say nothing about validation
        raise SystemExit(f"{VENV} is not up to date: run `make test` (or `make unit`) first")
    command = _make("notebooks", *([f"JOBS={jobs}"] if jobs is not None else []))
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"validation failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed


def kernel_floor_seconds(kernels: int, cores: int) -> float:
    """Time ``kernels`` bare kernel start + stop in a row, divided by ``cores``."""
    start = time.perf_counter()
    for _ in range(kernels):
        manager = KernelManager(kernel_name="python3")
        with open(os.devnull, "w") as quiet:  # ipykernel warns about TCP on every start
            manager.start_kernel(stderr=quiet)
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return (time.perf_counter() - start) / cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="JOBS for make notebooks (default: its own)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    notebooks = _notebooks()
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    floor = kernel_floor_seconds(len(notebooks), cores)
    validation = validation_seconds(args.jobs)
    load = max(load_before, os.getloadavg()[0])
    ratio = validation / floor
    figures = {
        "notebooks": len(notebooks),
        "jobs": args.jobs if args.jobs is not None else make_jobs(),
        "cores": cores,
        "load_average": round(load, 2),
        "validation_s": round(validation, 2),
        "floor_s": round(floor, 2),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"notebooks validated    {len(notebooks)} (make notebooks, -n {figures['jobs']})")
    print(f"validation wall time   {validation:.2f} s")
    print(f"kernel floor           {floor:.2f} s  ({len(notebooks)} start+stop / {cores} cores)")
    met = "yes" if figures["met"] else "NO"
    print(f"ratio                  {ratio:.2f}  (target <= {TARGET_RATIO}: {met})")
    print(f"load average (1 min)   {load:.2f} on {cores} cores")


if __name__ == "__main__":
    main()
