"""orderkit grade: a class's notebooks, good, weak, broken and hostile, into CSV and HTML."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from tests.classroom.cli import run_orderkit

SETUP = "import pytest\nfrom orderkit import InsufficientStock, InventoryService, OrderService"
GOOD_TESTS = """
def test_order_takes_stock():
    inventory = InventoryService()
    OrderService(inventory).create_order(1, 2)
    assert inventory.check_stock(1) == 8

def test_short_order_changes_nothing():
    inventory = InventoryService()
    with pytest.raises(InsufficientStock):
        OrderService(inventory).create_order(2, 6)
    assert inventory.check_stock(2) == 5

def test_exactly_what_is_left():
    inventory = InventoryService()
    inventory.decrement_stock(2, 5)
    assert inventory.check_stock(2) == 0
"""
WEAK_TESTS = "def test_stock():\n    assert InventoryService().check_stock(1) == 10"

ROOT = Path(__file__).resolve().parents[2]
COPY_THE_SOLUTION = f"""
import json
solution = json.load(open({str(ROOT / "classroom" / "source" / "10-exercise-unit-tests.ipynb")!r}))
for cell in solution["cells"]:
    if cell["cell_type"] == "code" and "check(" not in "".join(cell["source"]):
        exec("".join(cell["source"]).replace("%xmode Minimal", ""))
"""

RED_STEP = "raise NotImplementedError('the red step: no code yet')"  # tagged raises-exception

SUBMISSIONS: dict[str, list[str] | str] = {
    "good": [SETUP, GOOD_TESTS, "from orderkit.classroom import check\ncheck('unit-tests')"],
    "weak": [SETUP, WEAK_TESTS],
    "red-step": [SETUP, RED_STEP, GOOD_TESTS],  # a lesson's failing cell, as in lesson 12
    "untagged": [SETUP, RED_STEP.replace("raise", "1 / 0  #"), GOOD_TESTS],
    "empty": [],
    "reordered": [GOOD_TESTS, SETUP],  # tests first: the names exist by the time they run
    "deleted": [GOOD_TESTS],  # the import cell was deleted: every test errors on correct code
    "loop": [SETUP, "while True:\n    pass", GOOD_TESTS],
    "exits": [SETUP, "import sys\nsys.exit(1)", GOOD_TESTS],
    "kills": [SETUP, "import os\nos._exit(3)", GOOD_TESTS],
    "floods": [SETUP, "while True:\n    print('spam' * 100)", GOOD_TESTS],
    "writes": [SETUP, "open('junk.txt', 'w').write('x')", GOOD_TESTS],
    "hog": [SETUP, "hog = bytearray(8 * 1024**3)", GOOD_TESTS],
    "hangs": [SETUP, GOOD_TESTS, "def test_hangs():\n    while True:\n        pass"],
    "kills-parent": [SETUP, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", GOOD_TESTS],
    "kills-group": [SETUP, "import os, signal\nos.killpg(0, signal.SIGKILL)", GOOD_TESTS],
    "kills-everyone": [SETUP, "import os, signal\nos.kill(-1, signal.SIGKILL)", GOOD_TESTS],
    "lingers": [
        SETUP,
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
        "    open('/tmp/orderkit-linger-' + str(os.getpid()), 'w').close()\n"
        "    time.sleep(300)\n    os._exit(0)",
        GOOD_TESTS,
    ],
    "net": [
        SETUP,
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)",
        GOOD_TESTS,
    ],
    "copycat": [SETUP, COPY_THE_SOLUTION],
    "broken": "{ this is not json",
    "essay": "not a notebook at all",
}


def _write(folder: Path, name: str, content: list[str] | str) -> Path:
    if isinstance(content, str):
        path = folder / (f"{name}.txt" if name == "essay" else f"{name}.ipynb")
        path.write_text(content)
        return path
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in content]
    for cell in notebook.cells:
        if cell.source == RED_STEP:
            cell.metadata["tags"] = ["raises-exception"]
    notebook.metadata["orderkit"] = {"exercise": "unit-tests"}
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, dict[str, str]], Path, Path]:
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("report")
    paths = [_write(folder, name, content) for name, content in SUBMISSIONS.items()]
    done = run_orderkit(
        "grade",
        *paths,
        "--out",
        str(out),
        "--timeout",
        "8",
        "--test-timeout",
        "1",
        "--memory",
        "1024",
        "--jobs",
        "2",
        cwd=folder,
    )
    assert done.returncode == 1, done.stderr  # some could not be graded
    assert f"of {len(SUBMISSIONS)}; " in done.stdout
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return rows, out, folder


@pytest.mark.slow
def test_every_submission_gets_exactly_one_row(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    rows, out, _ = graded

    assert set(rows) == set(SUBMISSIONS)
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header.startswith("student,file,exercise,status,score,caught,total,tests,valid_tests")


@pytest.mark.slow
def test_good_tests_score_above_weak_ones(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    rows, _, _ = graded

    good, weak = rows["good"], rows["weak"]
    assert (good["tests"], good["valid_tests"], good["total"]) == ("3", "3", "10")
    assert int(good["caught"]) >= 4
    assert float(good["score"]) > float(weak["score"])
    assert good["notes"] == ""
    assert good["status"] == "graded"
    assert good["exercise"] == "unit-tests"


@pytest.mark.slow
def test_a_cell_meant_to_fail_is_not_noted_and_any_other_is(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    rows, _, _ = graded

    assert rows["red-step"]["notes"] == ""
    assert rows["red-step"]["score"] == rows["good"]["score"]
    assert (
        rows["untagged"]["notes"]
        == "1 cell(s) raised, first cell 2: ZeroDivisionError: division by zero"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "error"),
    [
        ("empty", "no tests found"),
        ("deleted", "3 test(s) not valid"),
        ("loop", "timed out"),
        ("exits", "SystemExit"),
        ("kills", "ended its grading process (exit status 3)"),
        ("floods", "output cut off"),
        ("hog", "MemoryError"),
        ("hangs", "1 test(s) not valid"),
        ("kills-group", "ended its grading process (killed by signal SIGKILL)"),
        ("net", "Network is unreachable"),
        ("copycat", "FileNotFoundError"),
        ("broken", "not a readable notebook"),
        ("essay", "not a notebook: expected a .ipynb file"),
    ],
)
def test_bad_submissions_get_a_clear_row(
    graded: tuple[dict[str, dict[str, str]], Path, Path], student: str, error: str
) -> None:
    rows, _, _ = graded

    assert error in rows[student]["notes"]
    if rows[student]["status"] != "graded":
        assert rows[student]["score"] == ""


@pytest.mark.slow
def test_hostile_submissions_do_not_change_the_others_grades(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    rows, out, _ = graded
    survivors = [
        "good",
        "reordered",
        "exits",
        "floods",
        "writes",
        "hog",
        "hangs",
        "kills-parent",
        "kills-everyone",
        "lingers",
        "net",
    ]

    assert {rows[name]["caught"] for name in survivors} == {rows["good"]["caught"]}
    assert rows["good"]["isolation"] == "ns"  # a short code, spelled out once in the legend
    legend = json.loads((out / "provenance.json").read_text())["isolation"]["ns"]
    assert "own PID, mount and network namespaces" in legend
    assert legend in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_whatever_a_submission_forked_is_gone_when_its_row_is_written(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    lingering = [
        pid
        for marker in Path("/tmp").glob("orderkit-linger-*")
        if Path(f"/proc/{(pid := marker.name.rsplit('-', 1)[1])}").exists()
    ]

    assert lingering == []


def test_the_readme_command_grades_relative_paths_from_the_course_folder(tmp_path: Path) -> None:
    (tmp_path / "submissions").mkdir()
    for name in ("alice", "bob"):
        _write(tmp_path / "submissions", name, SUBMISSIONS["good"])

    done = run_orderkit(
        "grade",
        "submissions/alice.ipynb",
        "submissions/bob.ipynb",
        "--out",
        "grades/",
        "--quiet",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "graded 2 of 2; 0 could not be graded" in done.stdout
    with (tmp_path / "grades" / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["status"]) for r in rows] == [
        ("submissions/alice.ipynb", "graded"),
        ("submissions/bob.ipynb", "graded"),
    ]


def test_a_second_run_grades_only_what_is_missing_and_force_grades_all(tmp_path: Path) -> None:
    first = _write(tmp_path, "first", SUBMISSIONS["good"])
    out = tmp_path / "o"
    assert run_orderkit("grade", first, "--out", out, "--quiet").returncode == 0
    second = _write(tmp_path, "second", SUBMISSIONS["weak"])

    again = run_orderkit("grade", first, second, "--out", out, "--quiet")
    forced = run_orderkit("grade", first, second, "--out", out, "--quiet", "--force")

    assert "(1 graded now" in again.stdout
    assert "1 kept from before" in again.stdout
    assert "(2 graded now" in forced.stdout
    with (out / "grades.csv").open() as handle:
        assert [r["student"] for r in csv.DictReader(handle)] == ["first", "second"]


@pytest.mark.slow
def test_files_a_submission_writes_stay_in_its_scratch_folder(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    _, out, folder = graded

    assert not (folder / "junk.txt").exists()
    assert not (out / "junk.txt").exists()
    assert not (Path.cwd() / "junk.txt").exists()


@pytest.mark.slow
def test_the_report_shows_the_plot_and_every_student(
    graded: tuple[dict[str, dict[str, str]], Path, Path],
) -> None:
    rows, out, _ = graded

    page = (out / "report.html").read_text()

    assert "data:image/png;base64," in page
    assert all(student in page for student in rows)
    assert "Ordering exactly the stock that is left is refused" in page


def test_an_unknown_exercise_stops_before_grading(tmp_path: Path) -> None:
    path = _write(tmp_path, "good", SUBMISSIONS["good"])

    done = run_orderkit(
        "grade", str(path), "--out", str(tmp_path / "o"), "--exercise", "nope", "--quiet"
    )

    assert done.returncode == 2
    assert "Unknown exercise 'nope'" in done.stderr
    assert not (tmp_path / "o").exists()


def test_a_folder_stands_for_the_notebooks_in_it(tmp_path: Path) -> None:
    for student in ("ann", "ben"):
        (tmp_path / "class" / student).mkdir(parents=True)
        _write(tmp_path / "class" / student, "exercise", SUBMISSIONS["weak"])
    (tmp_path / "class" / "ann" / ".ipynb_checkpoints").mkdir()
    _write(tmp_path / "class" / "ann" / ".ipynb_checkpoints", "exercise", SUBMISSIONS["weak"])

    done = run_orderkit("grade", str(tmp_path / "class"), "--out", str(tmp_path / "o"), "--quiet")

    assert done.returncode == 0, done.stderr
    with (tmp_path / "o" / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows] == ["ann", "ben"]


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    done = run_orderkit("grade", str(tmp_path), "--out", str(tmp_path / "o"))

    assert done.returncode == 2
    assert "no .ipynb file" in done.stderr


def test_a_notebook_saved_in_the_browser_site_is_graded_like_any_other(tmp_path: Path) -> None:
    downloaded = ROOT / "tests" / "data" / "lite" / "10-exercise-unit-tests.from-browser.ipynb"
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "lin.ipynb").write_bytes(downloaded.read_bytes())

    done = run_orderkit("grade", "submissions/", "--out", "grades/", "--quiet", cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    with (tmp_path / "grades" / "grades.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["status"], row["exercise"]) == ("graded", "unit-tests")
    assert int(row["valid_tests"]) >= 2
    assert int(row["caught"]) >= 2


@pytest.mark.slow
def test_a_file_changed_in_place_is_graded_again(tmp_path: Path) -> None:
    path = _write(tmp_path, "ann", SUBMISSIONS["weak"])
    out = tmp_path / "o"
    assert run_orderkit("grade", path, "--out", out, "--quiet").returncode == 0
    with (out / "grades.csv").open() as handle:
        [before] = list(csv.DictReader(handle))
    _write(tmp_path, "ann", SUBMISSIONS["good"])  # same name, new content

    again = run_orderkit("grade", path, "--out", out, "--quiet")

    assert "(1 graded now" in again.stdout
    with (out / "grades.csv").open() as handle:
        [after] = list(csv.DictReader(handle))
    assert float(after["score"]) > float(before["score"])
