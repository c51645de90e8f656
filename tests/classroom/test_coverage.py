"""orderkit bugs check --graded: what a graded class says of the bugs, and --course."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderkit.classroom import load
from orderkit.classroom.authoring.coverage import (
    class_coverage,
    read_graded,
    unchanged_functions,
)
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import ChaffResult, CheckResult, to_data
from tests.classroom.cli import run_orderkit


def _result(caught: dict[str, bool], error: str = "") -> CheckResult:
    chaffs = tuple(
        ChaffResult(name, name.title(), "unit", "hint", ("test_a",) if hit else ())
        for name, hit in caught.items()
    )
    return CheckResult(chaffs=chaffs, error=error)


def _graded_folder(folder: Path, results: list[CheckResult]) -> Path:
    (folder / "results").mkdir(parents=True)
    for number, result in enumerate(results):
        data = {"student": f"s{number}", "result": to_data(result)}
        (folder / "results" / f"s{number}.json").write_text(json.dumps(data))
    (folder / "results" / "broken-run.json").write_text(json.dumps({"result": None}))
    return folder


def test_a_class_lists_the_bugs_nobody_caught_and_those_everybody_caught(tmp_path: Path) -> None:
    folder = _graded_folder(
        tmp_path / "grades",
        [
            _result({"easy": True, "hard": False, "fair": True}),
            _result({"easy": True, "hard": False, "fair": False}),
            _result({"easy": False, "hard": True}, error="the grader failed"),
        ],
    )

    coverage = class_coverage(read_graded(folder))

    assert coverage.results == 2
    assert [r.name for r in coverage.nobody] == ["hard"]
    assert [r.name for r in coverage.everybody] == ["easy"]
    assert (coverage.rates["fair"].caught, coverage.rates["fair"].graded) == (1, 2)


def test_a_folder_without_results_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClassroomError, match=r"no results/\*\.json"):
        read_graded(tmp_path)


def test_the_kit_functions_no_chaff_changes_are_listed_per_file() -> None:
    unchanged = unchanged_functions(load())

    assert "MemoryStore.close" in unchanged["stores/memory.py"]
    assert "MemoryStore.place_order" not in unchanged["stores/memory.py"]  # chaffs change it
    assert "InventoryService.restock" not in unchanged["inventory.py"]
    assert not any("__repr__" in f for functions in unchanged.values() for f in functions)


@pytest.mark.slow
def test_bugs_check_reads_a_course_and_a_graded_class(tmp_path: Path) -> None:
    course = tmp_path / "my-course"
    (course / "source").mkdir(parents=True)
    (course / "course.toml").write_text(
        '[course]\nname = "c"\n\n[[exercise]]\nid = "unit-only"\nbugs = ["off-by-one"]\n'
    )
    folder = _graded_folder(
        tmp_path / "grades", [_result({"off-by-one": True}), _result({"off-by-one": True})]
    )

    done = run_orderkit("bugs", "check", "--course", course, "--graded", folder)

    assert done.returncode == 0, done.stderr
    assert "graded class: 2 result(s)" in done.stdout
    assert "caught by everybody: off-by-one (2/2)" in done.stdout
    assert "caught by nobody: none" in done.stdout
    assert "stores/memory.py: " in done.stdout
