"""A small graded class built by hand, for the report's tests (no grading runs).

Two exercises, a student whose name is HTML, invalid tests (one of them parametrized), and
two submissions that could not be graded, one with an exercise and one without.
"""

from __future__ import annotations

from collections.abc import Sequence

from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.bugs.catalogue import Level
from orderkit.classroom.grading.results import ChaffResult, CheckResult, Status, Verdict

UNIT_BUGS: list[tuple[str, Level]] = [
    ("off-by-one", "unit"),
    ("swapped-arguments", "unit"),
    ("wrong-exception", "unit"),
    ("restock-replaces", "unit"),
]
INTEGRATION_BUGS: list[tuple[str, Level]] = [
    ("refused-orders-listed", "integration"),
    ("never-commits", "database"),
]
HTML_NAME = "<script>alert(1)</script>"
ISOLATION = "own PID, mount and network namespaces"
KIND = "namespaces"
RESTOCK_WRONG = "fails on correct code: assert 8 == 9"


def title(bug: str) -> str:
    return f"Title of {bug}"


def verdict(name: str, status: Status = "valid", message: str = "") -> Verdict:
    return Verdict(name, status, message)


def graded(
    student: str,
    exercise: str,
    caught: set[str],
    verdicts: Sequence[Verdict] = (verdict("test_order_takes_stock"),),
    notes: str = "",
) -> Grade:
    """A graded submission that caught ``caught`` among its exercise's bugs."""
    bugs = UNIT_BUGS if exercise == "unit-tests" else INTEGRATION_BUGS
    chaffs = tuple(
        ChaffResult(
            name,
            title(name),
            level,
            "a hint",
            ("test_order_takes_stock",) if name in caught else (),
        )
        for name, level in bugs
    )
    result = CheckResult(tuple(verdicts), chaffs, isolation=ISOLATION, exercise=exercise)
    path = f"submissions/{student}.ipynb"
    return Grade(
        student, path, f"/course/{path}", result, notes, ISOLATION, exercise, isolation_kind=KIND
    )


def not_graded(student: str, reason: str, exercise: str | None = None) -> Grade:
    path = f"submissions/{student}.ipynb"
    return Grade(
        student, path, f"/course/{path}", None, reason, ISOLATION, exercise, isolation_kind=KIND
    )


def sample_class() -> list[Grade]:
    """Unit tests: 50, 100 and 25 (mean 58.3); integration tests: 50 and 100 (mean 75.0)."""
    return [
        graded(
            "ann",
            "unit-tests",
            {"off-by-one", "wrong-exception"},
            [
                verdict("test_order_takes_stock"),
                verdict("test_restock_adds", "fails", RESTOCK_WRONG),
                verdict("test_bad_quantity[0]", "fails", "fails on correct code: DID NOT RAISE"),
                verdict("test_bad_quantity[-1]", "fails", "fails on correct code: DID NOT RAISE"),
            ],
            notes="3 test(s) not valid",
        ),
        graded("ben", "unit-tests", {name for name, _ in UNIT_BUGS}),
        graded(
            HTML_NAME,
            "unit-tests",
            {"restock-replaces"},
            [
                verdict("test_order_takes_stock"),
                verdict("test_restock_adds", "fails", RESTOCK_WRONG),
                verdict("test_bad_quantity", "not-written", "not written yet"),
            ],
            notes="1 test(s) not valid\nand a second line",
        ),
        graded("cat", "integration-tests", {"never-commits"}),
        graded("dan", "integration-tests", {"refused-orders-listed", "never-commits"}),
        not_graded(
            "eve", "timed out: the submission ran past the time limit of 60 s", "unit-tests"
        ),
        not_graded("fred", "not a readable notebook (NotJSONError)"),
    ]
