"""orderkit gradescope: the autograder it writes, run in a simulated /autograder layout.

Gradescope unpacks the zip into ``/autograder/source``, copies ``run_autograder`` to
``/autograder``, puts the submission in ``/autograder/submission`` and reads
``/autograder/results/results.json``. Here a temporary folder stands for ``/autograder``
(``ORDERKIT_GRADESCOPE_ROOT``) and this venv's Python for the one ``setup.sh`` installs;
every ``results.json`` is validated against the specification's shape
(``tests/data/gradescope/results.schema.json``, with its source).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest

from orderkit.classroom.batch.autograder import NO_NOTEBOOK, OUR_FAULT, results
from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.batch.gradescope import MANIFEST, ROOT_ENV, AutograderError, Setup, build
from orderkit.classroom.batch.sandbox import ENV
from orderkit.classroom.grading.results import ChaffResult, CheckResult, Verdict
from tests.classroom.cli import run_orderkit
from tests.classroom.test_grading import SETUP

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/gradescope/results.schema.json").read_text())
SOLUTION = ROOT / "classroom" / "source" / "10-exercise-unit-tests.ipynb"
PUBLIC_TITLE = "Teacher's own: the last unit in stock cannot be ordered"
PUBLIC_HINT = "Teacher's hint: order everything that is left."
PRIVATE_TITLE = "PRIVATE TITLE: the order swaps item and quantity"
PRIVATE_HINT = "PRIVATE HINT: check the stock of both items"
PRIVATE_CHANGE = "take_for_order(quantity, item_id)"
COURSE_TOML = """
[course]
name = "CS 101 testing"
bugs = ["bugs.toml"]
private = ["private/bugs.toml"]
roster = "roster.csv"

[[exercise]]
id = "store-contract"
title = "The store's contract"
levels = ["unit"]
bugs = ["off-by-one", "swapped-arguments"]
points = 10
"""
WEAK_TESTS = """
def test_order_takes_stock():
    inventory = InventoryService()
    OrderService(inventory).create_order(1, 2)
    assert inventory.check_stock(1) == 8
"""
PUBLIC_BUGS = f"""
[[chaff]]
name = "teachers-off-by-one"
title = "{PUBLIC_TITLE}"
level = "unit"
hint = "{PUBLIC_HINT}"
[[chaff.change]]
file = "stores/memory.py"
count = 2
find = "if available < quantity:"
replace = "if available <= quantity:"
"""
PRIVATE_BUGS = f"""
[[chaff]]
name = "teachers-private-swap"
title = "{PRIVATE_TITLE}"
level = "unit"
hint = "{PRIVATE_HINT}"
weight = 2
[[chaff.change]]
file = "orders.py"
find = '''
        order = self._inventory.take_for_order(item_id, quantity)
'''
replace = '''
        taken = self._inventory.{PRIVATE_CHANGE}
        order: Order = {{"order_id": taken["order_id"], "item_id": item_id, "quantity": quantity}}
'''
"""


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``orderkit gradescope my-course`` as a teacher runs it, from the folder above.

    The course has an exercise of its own (worth 10 points) graded by two of the kit's bugs
    by name, a public bug of the teacher's and a private one that weighs 2.
    """
    home = tmp_path_factory.mktemp("teacher")
    course = home / "my-course"
    (course / "private").mkdir(parents=True)
    (course / "source").mkdir()
    (course / "course.toml").write_text(COURSE_TOML)
    (course / "bugs.toml").write_text(PUBLIC_BUGS)
    (course / "private" / "bugs.toml").write_text(PRIVATE_BUGS)
    (course / "roster.csv").write_text("id,name,email\n1,Ann,ann@example.org\n")
    shutil.copy2(SOLUTION, course / "source" / SOLUTION.name)
    done = run_orderkit("gradescope", "my-course", "--out", "autograder", cwd=home)

    assert done.returncode == 0, done.stderr
    assert "autograder.zip" in done.stdout
    return home / "autograder" / "autograder.zip"


def _solution() -> bytes:
    """The kit's instructor notebook, as the course's own exercise."""
    book = nbformat.reads(SOLUTION.read_text(), as_version=4)
    book.metadata["orderkit"] = {"exercise": "store-contract"}
    return str(nbformat.writes(book)).encode()


def _simulate(archive: Path, folder: Path, submission: dict[str, bytes]) -> dict[str, Any]:
    """Lay out /autograder as Gradescope does, run run_autograder, return results.json."""
    root = folder / "autograder"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)  # Gradescope runs it as an executable
    (root / "submission").mkdir()
    for name, content in submission.items():
        (root / "submission" / name).write_bytes(content)
    env = {**os.environ, ROOT_ENV: str(root), "ORDERKIT_PYTHON": sys.executable}
    done = subprocess.run(
        [str(root / "run_autograder")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def _notebook(cells: list[str]) -> bytes:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["orderkit"] = {"exercise": "store-contract"}
    return str(nbformat.writes(book)).encode()


def _never_revealed(data: dict[str, Any]) -> None:
    text = json.dumps(data)
    for secret in (PRIVATE_TITLE, PRIVATE_HINT, PRIVATE_CHANGE, "stores/memory.py", "<="):
        assert secret not in text
    assert "PRIVATE_TITLE" not in text  # nor spelt as a name


@pytest.mark.slow
def test_a_correct_submission_scores_full_marks_and_hides_the_private_bugs_details(
    autograder: Path, tmp_path: Path
) -> None:
    data = _simulate(autograder, tmp_path, {"solution.ipynb": _solution()})

    assert data["score"] == pytest.approx(10.0)
    scored = {t["name"]: (t["score"], t["max_score"], t["visibility"]) for t in data["tests"]}
    assert scored[f"store-contract: caught: {PUBLIC_TITLE}"] == (2.0, 2.0, "visible")
    hidden = scored.pop("store-contract: hidden bugs: 1 of 1 caught")
    assert hidden == (4.0, 4.0, "after_published")  # weight 2 of 5: 4 of the 10 points
    assert {v for _, _, v in scored.values()} == {"visible"}
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(10.0)
    assert data["stdout_visibility"] == "hidden"
    _never_revealed(data)


@pytest.mark.slow
def test_a_weak_submission_sees_hints_for_what_it_missed_never_titles(
    autograder: Path, tmp_path: Path
) -> None:
    data = _simulate(autograder, tmp_path, {"weak.ipynb": _notebook([SETUP, WEAK_TESTS])})

    assert data["score"] == pytest.approx(6.0)  # the kit's swap (2) and the hidden one (4)
    missed = [t for t in data["tests"] if "not caught yet" in t["name"]]
    assert [t["name"] for t in missed] == ["store-contract: a unit bug, not caught yet"] * 2
    assert all(t["score"] == 0 and t["output"].startswith("hint: ") for t in missed)
    assert any(t["output"] == f"hint: {PUBLIC_HINT}" for t in missed)
    assert PUBLIC_TITLE not in json.dumps(data)
    assert data["output"] == (
        "store-contract (The store's contract): 1 valid test; caught 1 of 3 bugs; "
        "hidden bugs: shown when your "
        "teacher publishes the grades"
    )
    _never_revealed(data)


@pytest.mark.slow
def test_a_malformed_notebook_still_gets_a_valid_results_file_that_says_why(
    autograder: Path, tmp_path: Path
) -> None:
    data = _simulate(autograder, tmp_path, {"broken.ipynb": b"{ this is not json"})

    assert data["score"] == 0
    assert "broken.ipynb could not be graded: not a readable notebook" in data["output"]
    assert data["tests"][0]["name"].endswith("could not be graded")


HOSTILE = """
import os, re, time
try:
    leaked = open({secret!r}).read()
except OSError as error:
    leaked = repr(error)

def leak():
    assert True

# a test named after what it read: the names reach the student's feedback
globals()["test_" + re.sub(r"\\W", "_", leaked)[:150]] = leak

def forge():
    with open({results!r}, "w") as out:
        out.write('{{"score": 100, "output": "forged"}}')

try:
    forge()
except OSError:
    pass
if os.fork() == 0:
    os.setsid()
    time.sleep(2)
    try:
        forge()
    finally:
        os._exit(0)
"""


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["this machine's", "process-group"])
def test_a_submission_can_neither_read_the_private_bugs_nor_write_its_own_results(
    autograder: Path, tmp_path: Path, isolation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also without namespaces (Gradescope's container may refuse them): the private
    catalogue leaves the disk before any run, and what a run leaves behind is killed
    before results.json is written."""
    if isolation == "process-group":
        monkeypatch.setenv(ENV, "process-group")
    root = tmp_path / "autograder"
    secret = root / "source" / "course" / "private" / "bugs.toml"
    results_json = root / "results" / "results.json"
    cells = [SETUP, HOSTILE.format(secret=str(secret), results=str(results_json))]

    _simulate(autograder, tmp_path, {"hostile.ipynb": _notebook(cells)})
    time.sleep(3)  # what a lingering process would have written by now

    data = json.loads(results_json.read_text())
    jsonschema.validate(data, SCHEMA)
    assert "forged" not in json.dumps(data)
    assert "test_" in data["tests"][0]["output"]  # its test was graded, under some name
    _never_revealed(data)


@pytest.mark.slow
def test_a_submission_without_a_notebook_is_told_what_to_upload(
    autograder: Path, tmp_path: Path
) -> None:
    data = _simulate(autograder, tmp_path, {"tests.py": b"def test_x():\n    assert True\n"})

    assert (data["score"], data["output"], data["tests"]) == (0, NO_NOTEBOOK, [])


@pytest.mark.slow
def test_a_broken_autograder_still_answers_and_says_it_is_not_the_students_fault(
    autograder: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(autograder) as old, zipfile.ZipFile(broken, "w") as new:
        for info in old.infolist():
            content = old.read(info)
            new.writestr(info, b"{" if info.filename == MANIFEST else content)

    data = _simulate(broken, tmp_path, {"weak.ipynb": _notebook([SETUP, WEAK_TESTS])})

    assert (data["score"], data["output"]) == (0, OUR_FAULT)


@pytest.mark.slow
def test_the_zip_has_both_scripts_at_its_root_executable_and_no_private_file_name_leaks(
    autograder: Path,
) -> None:
    with zipfile.ZipFile(autograder) as zipped:
        modes = {i.filename: i.external_attr >> 16 for i in zipped.infolist()}

    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR
        done = subprocess.run(["bash", "-n", str(autograder.parent / script)], check=False)
        assert done.returncode == 0
    assert any(name.startswith("orderkit-") and name.endswith(".whl") for name in modes)
    course = {"course/course.toml", "course/bugs.toml", "course/private/bugs.toml"}
    assert course <= set(modes)
    assert not any(name.endswith((".ipynb", ".csv")) for name in modes)  # no solution, roster


@pytest.mark.slow
def test_catalogue_files_without_a_course_travel_too(autograder: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(PUBLIC_BUGS)
    (tmp_path / "secret.toml").write_text(PRIVATE_BUGS)
    (wheel,) = autograder.parent.glob("orderkit-*.whl")
    args = ("mine.toml", "--private", "secret.toml", "--wheel", wheel, "--out", "ag")

    done = run_orderkit("gradescope", *args, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "ag" / MANIFEST).read_text())
    assert (manifest["public"], manifest["private"]) == (
        ["catalogues/public/1-mine.toml"],
        ["catalogues/private/1-secret.toml"],
    )
    catalogue = Setup(
        public=(tmp_path / "ag" / manifest["public"][0],),
        private=(tmp_path / "ag" / manifest["private"][0],),
    ).catalogue()
    assert catalogue.named("teachers-private-swap").private
    again = run_orderkit("gradescope", "--wheel", f"ag/{wheel.name}", "--out", "ag", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # its own wheel, from the folder it replaces
    assert json.loads((tmp_path / "ag" / MANIFEST).read_text())["public"] == []


def test_private_catalogues_belong_in_the_course_file_not_on_the_command_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "course.toml").write_text("[course]\n")

    done = run_orderkit("gradescope", tmp_path, "--private", "x.toml", "--out", tmp_path / "o")

    assert done.returncode == 2
    assert "course.toml" in done.stderr
    assert not (tmp_path / "o").exists()


def test_a_folder_of_something_else_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(AutograderError, match="not an autograder folder"):
        build(Setup(), tmp_path)

    assert (tmp_path / "notes.txt").read_text() == "mine"


def _grade(caught: dict[str, bool]) -> Grade:
    chaffs = tuple(
        ChaffResult(
            name,
            f"Title {name}",
            "integration",
            f"Hint {name}",
            ("t",) if hit else (),
            private=name.startswith("secret"),
        )
        for name, hit in caught.items()
    )
    result = CheckResult((Verdict("t", "valid"),), chaffs, exercise="integration-tests")
    return Grade("s", "s.ipynb", "/s.ipynb", result, exercise="integration-tests")


def test_points_are_shared_among_public_and_hidden_bugs_and_only_caught_ones_score() -> None:
    grade = _grade({"a": True, "b": False, "secret": True, "secret-2": False})

    data = results([grade], {})

    jsonschema.validate(data, SCHEMA)
    assert data["score"] == pytest.approx(50.0)
    scored = {t["name"]: (t["score"], t["max_score"], t["visibility"]) for t in data["tests"]}
    assert scored["integration-tests: caught: Title a"] == (25.0, 25.0, "visible")
    assert scored["integration-tests: an integration bug, not caught yet"] == (0.0, 25.0, "visible")
    hidden = scored["integration-tests: hidden bugs: 1 of 2 caught"]
    assert hidden == (25.0, 50.0, "after_published")
    assert not any(word in json.dumps(data) for word in ("Title b", "secret", "Hint secret"))
    assert "caught 1 of 2 bugs" in data["output"]  # the public ones, as check() counts them
