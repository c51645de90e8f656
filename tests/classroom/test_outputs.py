"""``orderkit outputs``: a teacher stores instructor notebooks' outputs from the course folder."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.classroom.cli import run_orderkit


def _notebook(folder: Path, name: str, *cells: str, failing: str = "") -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    if failing:
        lesson = nbformat.v4.new_code_cell(failing)
        lesson.metadata["tags"] = ["raises-exception"]
        notebook.cells.append(lesson)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = folder / name
    nbformat.write(notebook, path)
    return path


def test_the_outputs_are_stored_in_place_with_paths_relative_to_the_course(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    path = _notebook(
        source,
        "solution.ipynb",
        "import os\nprint(os.path.abspath('data.csv'))",
        "from orderkit import InventoryService\nInventoryService({'tea': 2}).check_stock('tea')",
        failing="raise ValueError('the lesson')",
    )

    done = run_orderkit("outputs", "source/solution.ipynb", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "stored the outputs of source/solution.ipynb" in done.stdout
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].outputs[0]["text"].strip() == "source/data.csv"  # not this machine's path
    assert cells[1].outputs[0]["data"]["text/plain"] == "2"
    assert cells[2].outputs[0]["ename"] == "ValueError"


def test_a_failing_cell_is_named_and_the_notebook_is_left_as_it_was(tmp_path: Path) -> None:
    broken = _notebook(tmp_path, "broken.ipynb", "1 / 0")
    before = broken.read_bytes()
    fine = _notebook(tmp_path, "fine.ipynb", "print('ok')")

    done = run_orderkit("outputs", "broken.ipynb", "fine.ipynb", cwd=tmp_path)

    assert done.returncode == 1
    assert "broken.ipynb: a cell failed" in done.stderr
    assert "ZeroDivisionError" in done.stderr
    assert broken.read_bytes() == before
    assert nbformat.read(fine, as_version=4).cells[0].outputs[0]["text"] == "ok\n"


def test_a_file_that_is_not_a_notebook_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "notes.ipynb").write_text("not json", encoding="utf-8")

    done = run_orderkit("outputs", "notes.ipynb", cwd=tmp_path)

    assert done.returncode == 1
    assert "notes.ipynb: not a readable notebook" in done.stderr
