"""The same tests get the same verdict however they are written, in check() and in grading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.classroom.notebooks import check_in_kernel, grade_class, notebook, verdict_of, write
from tests.classroom.styles import STYLES, UNIT_BUGS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("class")
    paths = [write(folder, name, notebook(cells)) for name, cells in STYLES.items()]
    _, results, done = grade_class(paths, Path("grades"), cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return {name: verdict_of(results[name]) for name in STYLES}


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_catches_every_unit_bug_in_the_batch_grader(
    style: str, graded: dict[str, dict[str, Any]]
) -> None:
    verdict = graded[style]

    assert set(verdict["caught"]) == UNIT_BUGS
    assert verdict["invalid"] == []
    assert verdict["valid"] == verdict["tests"]


@pytest.mark.parametrize("style", list(STYLES))
def test_check_in_a_kernel_gives_the_batch_graders_verdict(
    style: str, graded: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    verdict = check_in_kernel(notebook(STYLES[style]), tmp_path)

    assert verdict["error"] == ""
    assert {k: verdict[k] for k in graded[style]} == graded[style]


@pytest.mark.parametrize("style", ["functions", "mixed"])
def test_without_fork_check_gives_the_same_verdict(
    style: str, graded: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    env = {**os.environ, "ORDERKIT_NO_FORK": "1"}

    verdict = check_in_kernel(notebook(STYLES[style]), tmp_path, env=env)

    assert "take turns" in verdict["isolation"]
    assert {k: verdict[k] for k in graded[style]} == graded[style]
