"""Run every benchmark and print one table: figure, value, target, met or not.

Run: ``python benchmarks/report.py`` (``make bench``). Each benchmark runs as its own
process with ``--json``; a benchmark that fails shows as a row that says so.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
Row = tuple[str, str, str, str]


def _run(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / script), "--json", *args],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _met(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "NO")


def core() -> list[Row]:
    figures = _run("bench_core.py")
    rates, targets = figures["orders_per_s"], figures["targets"]
    return [
        (
            f"create_order, {name} (orders/s)",
            f"{rates[name]:,.0f}",
            f">= {targets[name]:,.0f}",
            _met(rates[name] >= targets[name]),
        )
        for name in ("memory", "sqlite")
    ]


def notebooks() -> list[Row]:
    f = _run("bench_notebooks.py")
    return [
        (
            f"make notebooks ({f['notebooks']} notebooks, -n {f['jobs']}, median of {f['runs']})",
            f"{f['validation_s']:.1f} s",
            "-",
            "-",
        ),
        (
            "make notebooks JOBS=0 (one process)",
            f"{f['one_process_s']:.1f} s ({f['speedup']:.2f}x the time with jobs)",
            "-",
            "-",
        ),
    ]


def check() -> list[Row]:
    f = _run("bench_check.py")
    return [
        (
            f"check() median ({f['tests']} tests, {f['bugs']} bugs)",
            f"{f['median_s']:.3f} s",
            f"<= {f['target_s']} s",
            _met(f["met"]),
        ),
    ]


def hints() -> list[Row]:
    f = _run("bench_hints.py")
    per = f["batch_s_per_submission"]
    return [
        (
            f"coverage hints, orderkit grade ({f['submissions']} submissions)",
            f"{f['batch_ratio']:.2f}x ({per['without']:.3f} -> {per['with']:.3f} s/submission)",
            f"<= {f['target_ratio']}x",
            _met(f["met"]),
        ),
        (
            "coverage hints, check() (20 tests)",
            f"{f['check_s']['without']:.3f} -> {f['check_s']['with']:.3f} s",
            "-",
            "-",
        ),
    ]


def grade() -> list[Row]:
    f = _run("bench_grade.py")
    rows: list[Row] = [
        (
            f"orderkit grade ({f['submissions']} submissions, {f['jobs']} jobs)",
            f"{f['orderkit_s_per_submission']:.3f} s/submission",
            "-",
            "-",
        ),
    ]
    if f["nbgrader_s_per_submission"] is None:
        rows.append(("nbgrader autograde, same notebooks", "not measured", "-", "-"))
    else:
        rows.append(
            (
                "nbgrader autograde, same notebooks",
                f"{f['nbgrader_s_per_submission']:.3f} s/submission",
                "-",
                "-",
            )
        )
        rows.append(
            (
                "speed-up over nbgrader",
                f"{f['speedup']:.1f}x",
                f">= {f['target_speedup']:g}x",
                _met(f["met"]),
            )
        )
    return rows


def gradebook() -> list[Row]:
    f = _run("bench_gradebook.py")
    t = f["targets"]
    large = f["sizes"]["1000"]
    rows: list[Row] = [
        (
            "gradebook: 1,000 results to CSV, feedback pages, report, exports",
            f"{1000 * large['s_per_submission']:.1f} ms/submission",
            "-",
            "-",
        ),
        (
            "gradebook time per submission, 1,000 / 30",
            f"{f['time_ratio']:.2f}x",
            f"<= {t['time_ratio']}x",
            _met(f["time_ratio"] <= t["time_ratio"]),
        ),
        (
            "gradebook peak memory, 1,000 / 30",
            f"{f['memory_ratio']:.2f}x ({large['peak_mib']:.0f} MiB)",
            f"<= {t['memory_ratio']}x",
            _met(f["memory_ratio"] <= t["memory_ratio"]),
        ),
    ]
    load = f["load_ms_1000"]
    rows.append(
        (
            "report.html, 1,000 rows, Chromium load (median of 5)",
            "not measured" if load is None else f"{load:.0f} ms",
            f"< {t['load_ms']:.0f} ms",
            _met(None if load is None else load < t["load_ms"]),
        )
    )
    return rows


def main() -> int:
    rows: list[Row] = []
    failed = 0
    for name, bench in (
        ("core", core),
        ("notebooks", notebooks),
        ("check", check),
        ("grade", grade),
        ("hints", hints),
        ("gradebook", gradebook),
    ):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows += bench()
        except (RuntimeError, KeyError, json.JSONDecodeError, IndexError) as error:
            failed += 1
            rows.append((f"{name} benchmark", f"FAILED: {error}", "-", "-"))
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )
    widths = [
        max(len(row[i]) for row in [("figure", "value", "target", "met"), *rows]) for i in range(4)
    ]
    for row in [("figure", "value", "target", "met"), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
