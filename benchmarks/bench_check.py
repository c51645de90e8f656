"""Median time of one ``check()``: 20 student tests on the correct code and every bug.

Target: median <= 1 s with the whole catalogue (>= 12 bugs). The baseline printed beside it
is one plain pytest run of the same tests on the correct code only, in the same process, so
the ratio says what checking every bug costs on top of running the tests once.

Run: ``python benchmarks/bench_check.py [--repeat N] [--json]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import types

from student_tests import TWENTY_TESTS

from orderkit.classroom import CHAFFS, WHEAT, check
from orderkit.classroom.runner import run_tests

TARGET_S = 1.0


def _module() -> types.ModuleType:
    module = types.ModuleType("student_notebook")
    exec(TWENTY_TESTS, module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    module = _module()
    result = check(module=module)  # warm-up: imports, and proof the workload is right
    assert len(result.tests) == 20, str(result)
    assert not result.invalid, str(result)
    checks, baselines = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        check(module=module)
        checks.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_tests(module, [WHEAT])
        baselines.append(time.perf_counter() - start)
    median, baseline = statistics.median(checks), statistics.median(baselines)
    figures = {
        "tests": len(result.tests),
        "bugs": len(CHAFFS),
        "caught": result.caught,
        "median_s": round(median, 3),
        "max_s": round(max(checks), 3),
        "baseline_s": round(baseline, 3),
        "ratio_to_baseline": round(median / baseline, 1),
        "target_s": TARGET_S,
        "met": median <= TARGET_S,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"check(): {len(result.tests)} tests x ({len(CHAFFS)} bugs + correct code)")
    print(f"median   {median:.3f} s   (max {max(checks):.3f} s over {args.repeat} runs)")
    print(f"baseline {baseline:.3f} s   (the same tests once, correct code only)")
    print(f"target   <= {TARGET_S} s: {'yes' if figures['met'] else 'NO'}")


if __name__ == "__main__":
    main()
