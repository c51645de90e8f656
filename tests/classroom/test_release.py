"""orderkit release: student versions with solutions stubbed and hidden tests removed.

First the marker-only notebooks of orderkit's exercises, then nbgrader's source format,
compared with what nbgrader 0.9.6 itself wrote (tests/data/nbgrader/).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

from orderkit.classroom.authoring.errors import ReleaseError
from orderkit.classroom.authoring.release import (
    CODE_STUBS,
    UnreleasableCell,
    release,
    student_version,
)
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


# --- nbgrader's source format -------------------------------------------------------------

NBGRADER_DATA = Path(__file__).resolve().parents[1] / "data" / "nbgrader"
NBGRADER_SOURCES = sorted((NBGRADER_DATA / "source").glob("*/*.ipynb"))
NBGRADER_IDS = [f"{s.parent.name}/{s.stem}" for s in NBGRADER_SOURCES]
REGION = re.compile(
    r"^[^\n]*BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME)[^\n]*\n(.*?)\n[^\n]*END \1", re.S | re.M
)


def _nbgrader(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Cell metadata as nbgrader's "Create Assignment" toolbar writes it (schema 3)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "solution": solution}
    meta |= {"schema_version": 3, **extra}
    if grade:
        meta.setdefault("points", 1)
    return {"nbgrader": meta}


def _assignment(*cells: nbformat.NotebookNode, language: str = "python") -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "k", "display_name": "K", "language": language}
    notebook.cells = list(cells)
    return notebook  # type: ignore[no-any-return]


def _code(source: str, **meta: Any) -> nbformat.NotebookNode:
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell(source)
    cell.metadata = _nbgrader(**meta) if meta else {}
    return cell


def _markdown(source: str, **meta: Any) -> nbformat.NotebookNode:
    cell: nbformat.NotebookNode = nbformat.v4.new_markdown_cell(source)
    cell.metadata = _nbgrader(**meta) if meta else {}
    return cell


def _released_sources(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in student_version(notebook, "ps.ipynb")[0].cells]


def _answers(notebook: nbformat.NotebookNode) -> list[str]:
    """Every line of every answer and hidden test in an instructor notebook, found
    independently of release.py: whole solution cells, regions, and outputs."""
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and "BEGIN SOLUTION" not in cell.source:
            found += cell.source.splitlines()
        found += [line for match in REGION.finditer(cell.source) for line in match[2].split("\n")]
        for output in cell.get("outputs", []):
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            found += text.split("\n")
    return [line.strip() for line in found if len(line.strip()) > 5]


@pytest.mark.parametrize("source", NBGRADER_SOURCES, ids=NBGRADER_IDS)
def test_release_writes_what_nbgrader_generate_assignment_writes_cell_by_cell(
    source: Path,
) -> None:
    golden = nbformat.read(
        NBGRADER_DATA / "release" / source.relative_to(NBGRADER_DATA / "source"), 4
    )

    student, _, _ = student_version(nbformat.read(source, as_version=4), source.name)

    # Nothing is normalised: every field of every cell must be nbgrader's, checksums included.
    # (orderkit's one deliberate difference, dropping saved widget state, has no case here.)
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in golden.cells]
    for number, (ours, theirs) in enumerate(zip(student.cells, golden.cells, strict=True), 1):
        assert ours.source == theirs.source, f"cell {number}"
        assert ours.metadata == theirs.metadata, f"cell {number}"
        assert ours == theirs, f"cell {number}"  # outputs, execution count, id, attachments
    assert student.metadata == golden.metadata
    assert (student.nbformat, student.nbformat_minor) == (golden.nbformat, golden.nbformat_minor)


def test_the_command_line_writes_nbgraders_files_byte_for_byte(tmp_path: Path) -> None:
    done = run_orderkit("release", *NBGRADER_SOURCES, "--out", tmp_path)

    assert done.returncode == 0, done.stderr
    for source in NBGRADER_SOURCES:
        golden = NBGRADER_DATA / "release" / source.parent.name / source.name
        assert (tmp_path / source.name).read_bytes() == golden.read_bytes(), source.name


@pytest.mark.parametrize("source", NBGRADER_SOURCES, ids=NBGRADER_IDS)
def test_no_released_nbgrader_notebook_holds_any_line_of_an_answer(source: Path) -> None:
    instructor = nbformat.read(source, as_version=4)
    answers = _answers(instructor)

    released = nbformat.writes(student_version(instructor, source.name)[0])

    assert len(answers) >= 2
    assert [a for a in answers if json.dumps(a)[1:-1] in released] == []
    assert "answer-" not in released  # every answer in rules.ipynb is tagged "answer-..."


def test_ps1_has_the_answers_this_release_must_remove() -> None:
    """The leak this release fixes: ps1 marks whole cells as solutions, without markers."""
    problem1 = nbformat.read(NBGRADER_DATA / "source" / "ps1" / "problem1.ipynb", 4)
    whole = [c for c in problem1.cells if c.metadata.get("nbgrader", {}).get("solution")]

    assert any("BEGIN SOLUTION" not in cell.source for cell in whole)
    assert "pyramidal_number" not in nbformat.writes(student_version(problem1)[0])


def test_a_solution_region_becomes_nbgraders_two_line_stub_at_its_indentation() -> None:
    cell = _code(
        "import math\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"
        "def f():\n    # BEGIN SOLUTION\n    return 2\n    # END SOLUTION\n",
        grade_id="f",
        solution=True,
    )

    (source,) = _released_sources(_assignment(cell))

    assert source == (
        "import math\n# YOUR CODE HERE\nraise NotImplementedError()\n"
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_a_top_level_region_gets_the_raise_only_in_nbgrader_notebooks() -> None:
    region = "### BEGIN SOLUTION\ndef test_mine():\n    pass\n### END SOLUTION"
    markers_only = _assignment(_code(region))
    nbgrader = _assignment(_code(region, grade_id="mine", solution=True))

    assert _released_sources(markers_only) == ["# YOUR CODE HERE"]
    assert _released_sources(nbgrader) == ["# YOUR CODE HERE\nraise NotImplementedError()"]


def test_a_markdown_region_becomes_your_answer_here_at_its_indentation() -> None:
    cell = _markdown(
        "Why?\n- because\n  <!-- BEGIN SOLUTION -->\n  it is\n  <!-- END SOLUTION -->",
        grade_id="why",
        grade=True,
        solution=True,
    )

    assert _released_sources(_assignment(cell)) == ["Why?\n- because\n  YOUR ANSWER HERE"]


@pytest.mark.parametrize(
    ("cell", "stub"),
    [
        (_code("def f():\n    return 42", grade_id="f", solution=True), CODE_STUBS["python"]),
        (_code("x = 42", grade_id="x", grade=True, solution=True), CODE_STUBS["python"]),
        (
            _markdown("The answer is 42.", grade_id="why", grade=True, solution=True),
            "YOUR ANSWER HERE",
        ),
    ],
    ids=["code", "manually-graded-code", "markdown"],
)
def test_a_solution_cell_without_markers_becomes_the_stub_as_a_whole(
    cell: nbformat.NotebookNode, stub: str
) -> None:
    student, solutions, _ = student_version(_assignment(cell))

    assert student.cells[0].source == stub
    assert solutions == 1


def test_the_stub_follows_the_kernel_language_as_in_nbgrader() -> None:
    notebook = _assignment(_code("f <- 42", grade_id="f", solution=True), language="R")

    assert _released_sources(notebook) == ["# YOUR CODE HERE\nfail()"]


def test_hidden_tests_leave_grade_cells_which_stay_even_when_empty() -> None:
    notebook = _assignment(
        _code(
            "assert f()\n### BEGIN HIDDEN TESTS\nassert f(2)\n### END HIDDEN TESTS",
            grade_id="t1",
            grade=True,
        ),
        _code(
            "### BEGIN HIDDEN TESTS\nassert f(3)\n### END HIDDEN TESTS", grade_id="t2", grade=True
        ),
    )

    student, _, hidden = student_version(notebook)

    assert [c.source for c in student.cells] == ["assert f()", ""]
    assert hidden == 2


def test_a_mark_scheme_leaves_its_task_cell() -> None:
    task = _markdown(
        "Describe it.\n### BEGIN MARK SCHEME\n2 points for X.\n### END MARK SCHEME",
        grade_id="task",
        locked=True,
        task=True,
        points=2,
    )

    assert _released_sources(_assignment(task)) == ["Describe it."]


def test_cells_are_locked_and_checksummed_as_nbgrader_does() -> None:
    notebook = _assignment(
        _code("x = 1", grade_id="answer", solution=True),
        _code("assert x", grade_id="test", grade=True),
        _markdown("Read me.", grade_id="intro", locked=True),
        _code("print(x)"),
    )

    cells = student_version(notebook)[0].cells

    assert [(c.metadata.get("deletable"), c.metadata.get("editable")) for c in cells] == [
        (False, None),
        (False, False),
        (False, False),
        (None, None),
    ]
    assert [len(c.metadata.get("nbgrader", {}).get("checksum", "")) for c in cells] == [32] * 3 + [
        0
    ]
    assert [c.metadata["nbgrader"]["cell_type"] for c in cells[:3]] == ["code", "code", "markdown"]


def test_outputs_view_state_and_the_assignment_toolbar_are_cleared() -> None:
    cell = _code("print(1)", grade_id="p", grade=True)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    cell.execution_count = 7
    cell.metadata |= {"collapsed": True, "scrolled": False, "tags": ["kept"]}
    notebook = _assignment(cell)
    notebook.metadata |= {"celltoolbar": "Create Assignment", "widgets": {"state": {}}}

    student, _, _ = student_version(notebook)

    assert (student.cells[0].outputs, student.cells[0].execution_count) == ([], None)
    assert set(student.cells[0].metadata) == {"nbgrader", "tags", "deletable", "editable"}
    assert "celltoolbar" not in student.metadata
    assert "widgets" not in student.metadata  # orderkit's own rule; nbgrader keeps it


def _unknown_cell_type() -> nbformat.NotebookNode:
    cell = _code("x = 1", grade_id="odd", solution=True)
    cell.cell_type = "widget"
    return cell


def _with_attachment() -> nbformat.NotebookNode:
    cell = _markdown("![](attachment:a.png)", grade_id="pic", grade=True, solution=True)
    cell.attachments = {"a.png": {"image/png": "iVBORw0KGgo="}}
    return cell


def _metadata(**nbgrader: Any) -> nbformat.NotebookNode:
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell("x = 1")
    cell.metadata = {"nbgrader": nbgrader}
    return cell


SCHEMA_3 = {"grade": False, "locked": False, "solution": True, "grade_id": "x", "schema_version": 3}


REFUSALS = [
    (_unknown_cell_type(), "odd", "unknown cell type 'widget'"),
    (nbformat.v4.new_raw_cell("x", metadata=_nbgrader("r", solution=True)), "r", "raw cell"),
    (nbformat.v4.new_raw_cell("### BEGIN SOLUTION\nx\n### END SOLUTION"), None, "raw cell"),
    (_metadata(**{**SCHEMA_3, "schema_version": 2}), "x", r"version 2.*nbgrader update"),
    (_metadata(**{**SCHEMA_3, "schema_version": 4}), "x", "version 4, orderkit knows 3"),
    (
        _metadata(**{k: v for k, v in SCHEMA_3.items() if k != "schema_version"}),
        "x",
        "version 0",
    ),
    (nbformat.v4.new_code_cell("x", metadata={"nbgrader": True}), None, "not an object"),
    (_metadata(**SCHEMA_3, hint="no"), "x", "unknown nbgrader metadata hint"),
    (_metadata(**{**SCHEMA_3, "solution": "yes"}), "x", "'solution' must be true or false"),
    (_metadata(**{**SCHEMA_3, "grade_id": ""}), None, "has no grade_id"),
    (_metadata(**{**SCHEMA_3, "grade_id": "a b"}), "a b", "only letters"),
    (_metadata(**{**SCHEMA_3, "grade": True}), "x", "has no points"),
    (_metadata(**{**SCHEMA_3, "grade": True, "points": -1}), "x", "points must be"),
    (_markdown("Why?", grade_id="why", solution=True), "why", "both grade and solution"),
    (_code("x = 1", grade_id="t", locked=True, task=True), "t", "task cells must be markdown"),
    (
        _code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="t", grade=True),
        "t",
        "not an nbgrader solution cell",
    ),
    (
        _code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        None,
        "not an nbgrader solution cell",
    ),
    (
        _code(
            "### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS",
            grade_id="s",
            solution=True,
        ),
        "s",
        "not an nbgrader grade cell",
    ),
    (
        _markdown(
            "### BEGIN MARK SCHEME\n1\n### END MARK SCHEME",
            grade_id="m",
            grade=True,
            solution=True,
        ),
        "m",
        "not an nbgrader task cell",
    ),
    (_code("### AUTOTEST squares(3)", grade_id="auto", grade=True), "auto", "AUTOTEST"),
    (
        _code("### Begin Solution\nx = 1\n### End Solution", grade_id="c", solution=True),
        "c",
        "looks like a marker",
    ),
    (
        _code("### BEGIN HIDDEN TEST\nassert x\n", grade_id="h", grade=True),
        "h",
        "looks like a marker",
    ),
    (
        _code("x = 1  ### BEGIN SOLUTION ### END SOLUTION", grade_id="c", solution=True),
        "c",
        "more than one marker",
    ),
    (_code("### BEGIN SOLUTION\nx = 1", grade_id="c", solution=True), "c", "never closed"),
    (_code("x = 1\n### END SOLUTION", grade_id="c", solution=True), "c", "without its BEGIN"),
    (
        _code("### BEGIN SOLUTION\n### BEGIN SOLUTION", grade_id="c", solution=True),
        "c",
        "inside",
    ),
    (_with_attachment(), "pic", "attachments"),
]


@pytest.mark.parametrize(("cell", "grade_id", "message"), REFUSALS, ids=[r[2] for r in REFUSALS])
def test_what_nbgrader_format_cannot_be_honoured_is_refused_naming_the_cell(
    cell: nbformat.NotebookNode, grade_id: str | None, message: str
) -> None:
    notebook = _assignment(_code("y = 2", grade_id="first", locked=True), cell)
    named = rf" \(grade_id '{re.escape(grade_id)}'\)" if grade_id else ""

    with pytest.raises(
        UnreleasableCell, match=rf"^ps\.ipynb: cell 2{named}: .*{message}"
    ) as refused:
        student_version(notebook, "ps.ipynb")

    assert (refused.value.notebook, refused.value.cell, refused.value.grade_id) == (
        "ps.ipynb",
        2,
        grade_id,
    )
    assert isinstance(refused.value, ReleaseError)
    assert isinstance(refused.value, ValueError)


def test_a_solution_in_a_language_without_a_stub_is_refused() -> None:
    notebook = _assignment(_code("x = 42", grade_id="x", solution=True), language="julia")

    with pytest.raises(UnreleasableCell, match="kernel language has no stub"):
        student_version(notebook, "ps.ipynb")


def test_a_grade_id_used_twice_is_refused_naming_both_cells() -> None:
    notebook = _assignment(
        _code("x = 1", grade_id="same", solution=True),
        _code("assert x", grade_id="same", grade=True),
    )

    with pytest.raises(UnreleasableCell, match=r"cell 2 \(grade_id 'same'\): .*one of cell 1"):
        student_version(notebook, "ps.ipynb")


def test_lookalike_and_raw_markers_are_refused_in_marker_only_notebooks_too() -> None:
    for cell in (
        _code("### begin solution\nx = 1\n### end solution"),
        nbformat.v4.new_raw_cell("### BEGIN SOLUTION"),
    ):
        with pytest.raises(UnreleasableCell, match="cell 1: "):
            student_version(_assignment(cell), "ps.ipynb")


def test_an_nbgrader_refusal_writes_no_notebook_at_all(tmp_path: Path) -> None:
    good = NBGRADER_SOURCES[0]
    bad = tmp_path / "bad.ipynb"
    nbformat.write(
        _assignment(_code("### Begin Solution\nx = 1", grade_id="x", solution=True)), bad
    )

    done = run_orderkit("release", good, bad, "--out", tmp_path / "out")

    assert done.returncode == 2
    assert "bad.ipynb: cell 1 (grade_id 'x'): line 1:" in done.stderr
    assert not (tmp_path / "out").exists()
