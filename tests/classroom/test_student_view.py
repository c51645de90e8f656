"""The data behind a student's feedback: what check() shows, valid against its schema."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from orderkit.classroom.grading.results import ChaffResult, CheckResult, Verdict
from orderkit.classroom.grading.student_view import SCHEMA, student_view


def _schema() -> dict[str, object]:
    text = resources.files("orderkit.classroom.grading").joinpath("feedback.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _result() -> CheckResult:
    chaffs = (
        ChaffResult("off-by-one", "Takes one too many", "unit", "count what is left", ("test_a",)),
        ChaffResult("swapped", "Swaps the arguments", "unit", "mind the order", ()),
    )
    verdicts = (
        Verdict("test_a", "valid"),
        Verdict("test_b", "fails", "fails on correct code: X (assert 1 == 2)", True, "X"),
        Verdict("test_c", "not-written", "not written"),
    )
    return CheckResult(verdicts, chaffs, exercise="unit-tests")


def test_the_view_names_caught_bugs_and_only_hints_at_the_others() -> None:
    view = student_view(_result(), max_points=10, title="Unit tests")
    text = json.dumps(view)

    assert [c["title"] for c in view["caught"]] == ["Takes one too many"]
    assert view["missed"] == [{"level": "unit", "hint": "mind the order"}]
    assert "Swaps the arguments" not in text
    assert "swapped" not in text
    assert "off-by-one" not in text
    assert view["misconceptions"] == ["X"]
    assert view["score"] == {"percent": 50.0, "points": 5.0, "max_points": 10}
    assert view["schema"] == SCHEMA
    jsonschema.validate(view, _schema())


def test_weights_share_the_points_and_hidden_bugs_are_only_counted() -> None:
    chaffs = (
        ChaffResult("a", "Heavy bug", "unit", "h1", ("test_a",), weight=3.0),
        ChaffResult("b", "Light bug", "unit", "h2", ()),
        ChaffResult("c", "Secret caught", "unit", "h3", ("test_a",), private=True),
        ChaffResult("d", "Secret missed", "unit", "h4", (), private=True),
    )
    view = student_view(CheckResult((Verdict("test_a", "valid"),), chaffs), max_points=12)
    text = json.dumps(view)

    assert view["score"] == {"percent": 66.7, "points": 8.0, "max_points": 12}
    assert view["hidden"] == {"caught": 1, "total": 2}
    assert "Secret" not in text
    assert "h3" not in text
    assert "h4" not in text
