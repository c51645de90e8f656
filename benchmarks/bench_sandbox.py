"""Cost of a sandbox: start() + result() for a trivial function, against a bare os.fork().

Median of 30 runs for each of: a bare ``os.fork()`` whose child exits at once (reaped with
``waitpid``), the sandbox with namespaces, and the sandbox with a process group only. Set
the figures beside the grader's time per submission (``bench_grade.py``): a sandbox is one
of its costs, paid once per submission.

Run: ``python benchmarks/bench_sandbox.py [--runs N] [--ballast-mib M]`` (``--ballast-mib``
grows this process first, as a warmed-up grader is bigger than a bare interpreter).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from pathlib import Path

from orderkit.classroom.batch.sandbox import Isolation, probe, start


def _bare_fork() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _sandboxed(isolation: Isolation, scratch: Path) -> Callable[[], None]:
    def once() -> None:
        box = start(int, scratch=scratch, isolation=isolation)
        wait([box.sentinel])
        assert box.result() == ("ok", 0)

    return once


def _median_ms(run: Callable[[], None], runs: int) -> float:
    run()  # the first run pays one-off costs (imports, the probe)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--ballast-mib", type=int, default=0)
    args = parser.parse_args()
    ballast = bytearray(args.ballast_mib * 1024 * 1024)  # touched: pages the forks must map
    isolation = probe()
    print(f"probe: {isolation.kind} ({isolation.detail})")
    group = Isolation("process-group", "process group only: benchmark")
    with tempfile.TemporaryDirectory(prefix="orderkit-bench-") as folder:
        scratch = Path(folder)
        costs = {"bare os.fork": _median_ms(_bare_fork, args.runs)}
        if isolation.kind == "namespaces":
            costs["namespaces"] = _median_ms(_sandboxed(isolation, scratch), args.runs)
        costs["process-group"] = _median_ms(_sandboxed(group, scratch), args.runs)
    base = costs["bare os.fork"]
    print(f"median of {args.runs}, this process {len(ballast) >> 20} MiB of ballast:")
    for name, cost in costs.items():
        print(f"  {name:<14} {cost:7.2f} ms   {cost / base:5.1f}x bare fork")


if __name__ == "__main__":
    main()
