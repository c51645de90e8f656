"""A generated class of any size, graded results only (no runs): for the report at scale.

Students catch each of the kit's real bugs with a chance that differs per bug, write twenty
tests of which a few are not valid, and some are late or could not be graded: a class whose
report, feedback pages and exports look like a real one's, made in milliseconds.
"""

from __future__ import annotations

import random

from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.bugs.catalogue import load
from orderkit.classroom.grading.results import ChaffResult, CheckResult, Verdict

ISOLATION = "own PID, mount and network namespaces; read-only file system except its scratch"
ISOLATION += " folder and a private /tmp"
TESTS = 20


def generated_class(size: int, seed: int = 19) -> list[Grade]:
    """``size`` rows for the exercise ``all``: about 2% could not be graded, 10% late."""
    rng = random.Random(seed)
    chaffs = load().of_kind("chaff")
    ease = {c.name: rng.uniform(0.2, 0.95) for c in chaffs}
    grades = []
    for n in range(size):
        late = rng.random() < 0.1

        def row(result: CheckResult | None, notes: str, n: int = n, late: bool = late) -> Grade:
            path = f"/course/submissions/s{n:04d}.ipynb"
            return Grade(
                f"Student {n:04d}",
                path,
                path,
                result,
                notes,
                ISOLATION,
                "all",
                student_id=str(100000 + n),
                email=f"s{n:04d}@school.edu",
                late=late,
                max_points=20.0,
                isolation_kind="namespaces",
                graded_by="0123456789abcdef",
                graded_at="2026-12-11T09:00:00+00:00",
            )

        if rng.random() < 0.02:
            grades.append(row(None, "timed out: the notebook ran past the time limit of 60 s"))
            continue
        verdicts = []
        for t in range(TESTS):
            if rng.random() < 0.1:
                verdicts.append(Verdict(f"test_{t:02d}", "fails", "fails on correct code: X"))
            else:
                verdicts.append(Verdict(f"test_{t:02d}", "valid"))
        valid = [v.name for v in verdicts if v.valid]
        caught = [
            ChaffResult(
                c.name,
                c.title,
                c.level,
                c.hint,
                (rng.choice(valid),) if valid and rng.random() < ease[c.name] else (),
            )
            for c in chaffs
        ]
        result = CheckResult(tuple(verdicts), tuple(caught), isolation=ISOLATION, exercise="all")
        grades.append(row(result, ""))
    return grades
