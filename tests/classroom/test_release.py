"""orderkit release: student versions with solutions stubbed and hidden tests removed."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from orderkit.classroom.release import release, student_version
from orderkit.errors import ReleaseError
from tests.classroom.cli import run_orderkit

SOLVED_TEST = '''def test_exact_stock():
    """Ordering exactly what is left empties the item."""
    ### BEGIN SOLUTION
    inventory = InventoryService({"LAMP": 3})
    inventory.decrement_stock("LAMP", 3)
    assert inventory.check_stock("LAMP") == 0
    ### END SOLUTION'''


def _instructor_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    solved = nbformat.v4.new_code_cell(SOLVED_TEST, execution_count=3)
    solved.outputs = [nbformat.v4.new_output("stream", name="stdout", text="secret\n")]
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "# Exercise\n### BEGIN SOLUTION\nThe answer.\n### END SOLUTION"
        ),
        solved,
        nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION\ndef test_mine():\n    assert True\n### END SOLUTION"
        ),
        nbformat.v4.new_code_cell(
            "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS"
        ),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS"),
    ]
    notebook.metadata["orderkit"] = {"exercise": "unit-tests"}
    return notebook  # type: ignore[no-any-return]


def test_an_indented_solution_becomes_a_not_implemented_stub() -> None:
    student, solutions, hidden = student_version(_instructor_notebook())

    assert student.cells[1].source == (
        'def test_exact_stock():\n    """Ordering exactly what is left empties the item."""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert (solutions, hidden) == (3, 2)


def test_a_top_level_solution_becomes_a_comment_and_markdown_a_prompt() -> None:
    student, _, _ = student_version(_instructor_notebook())

    assert student.cells[2].source == "# YOUR CODE HERE"
    assert student.cells[0].source == "# Exercise\nYOUR ANSWER HERE"


def test_hidden_tests_are_removed_and_emptied_cells_dropped() -> None:
    student, _, _ = student_version(_instructor_notebook())

    assert student.cells[3].source == "x = 1"
    assert len(student.cells) == 4
    assert "secret" not in nbformat.writes(student)


def test_outputs_and_counts_are_cleared_and_metadata_kept() -> None:
    student, _, _ = student_version(_instructor_notebook())

    assert all(
        c.outputs == [] and c.execution_count is None
        for c in student.cells
        if c.cell_type == "code"
    )
    assert student.metadata["orderkit"] == {"exercise": "unit-tests"}


def test_the_instructor_notebook_is_not_changed() -> None:
    notebook = _instructor_notebook()
    before = nbformat.writes(notebook)

    student_version(notebook)

    assert nbformat.writes(notebook) == before


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without its BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS", "inside"),
        ("### BEGIN HIDDEN TESTS\n### END SOLUTION", "without its BEGIN"),
    ],
)
def test_markers_that_do_not_pair_up_are_refused_with_the_cell(source: str, message: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("ok = 1"), nbformat.v4.new_code_cell(source)]

    with pytest.raises(ReleaseError, match=rf"lesson\.ipynb: cell 2\b.*{message}"):
        student_version(notebook, "lesson.ipynb")


def test_release_writes_nothing_when_one_source_is_bad(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(_instructor_notebook(), good)
    broken = nbformat.v4.new_notebook()
    broken.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION")]
    nbformat.write(broken, bad)

    with pytest.raises(ReleaseError, match=r"bad\.ipynb"):
        release([good, bad], tmp_path / "out")

    assert not (tmp_path / "out").exists()


def test_release_refuses_to_overwrite_the_source(tmp_path: Path) -> None:
    source = tmp_path / "ex.ipynb"
    nbformat.write(_instructor_notebook(), source)

    with pytest.raises(ReleaseError, match="overwrite"):
        release([source], tmp_path)


def test_the_command_line_releases_and_reports(tmp_path: Path) -> None:
    source = tmp_path / "ex.ipynb"
    nbformat.write(_instructor_notebook(), source)

    done = run_orderkit("release", str(source), "--out", str(tmp_path / "student"))

    assert done.returncode == 0, done.stderr
    assert "3 solution(s) stubbed, 2 hidden test region(s) removed" in done.stdout
    released = nbformat.read(tmp_path / "student" / "ex.ipynb", as_version=4)
    assert "raise NotImplementedError()" in released.cells[1].source


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.ipynb", None, "no such file"),
        ("notes.txt", "hello", "not a notebook"),
        ("junk.ipynb", "{not json", "not a readable notebook"),
    ],
)
def test_the_command_line_explains_bad_sources(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_text(content)

    done = run_orderkit("release", str(source), "--out", str(tmp_path / "o"))

    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
