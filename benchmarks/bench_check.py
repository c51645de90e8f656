"""Median time of one ``check()``: 20 student tests on every implementation.

Target: median <= 0.5 s with the whole catalogue (wheats, chaffs, misconceptions), on 2
cores. The baseline printed beside it is one plain pytest run of the same tests on the
correct code only, in the same process, so the ratio says what grading costs on top of
running the tests once.

Run: ``python benchmarks/bench_check.py [--repeat N] [--json]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import types

from student_tests import TWENTY_TESTS

from orderkit.classroom import check, load
from orderkit.classroom.grading.engine import grade

TARGET_S = 0.5
CHAFFS = load().of_kind("chaff")
REFERENCE = load().of_kind("wheat")[:1]


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
        grade(module, type(load())(REFERENCE), fork=False)
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
    print(f"check(): {len(result.tests)} tests x every implementation ({len(CHAFFS)} bugs)")
    print(f"median   {median:.3f} s   (max {max(checks):.3f} s over {args.repeat} runs)")
    print(f"baseline {baseline:.3f} s   (the same tests once, correct code only)")
    print(f"target   <= {TARGET_S} s: {'yes' if figures['met'] else 'NO'}")


if __name__ == "__main__":
    main()
