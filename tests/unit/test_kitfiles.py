"""The kit's build files as lesson 08 shows them, and the lesson's prose against the files.

Lesson 08 prints the real Makefile rules and CI steps (``orderkit.kitfiles``). Its markdown
cells tagged ``describes-the-kit`` make claims about those files; every code span in them
(text in backticks) must be true of the files now: a file that exists, a ``make`` target
(and variables) the Makefile has, a ``NAME=value`` it sets, or text that the Makefile or
the workflow contains. The code cells that read the files must show what the files say
now, so a changed Makefile fails here until the lesson is re-run.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

from orderkit.kitfiles import (
    KitFileError,
    make_prerequisites,
    make_rule,
    make_variable,
    workflow_actions,
    workflow_steps,
)

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "08-testing-notebooks-in-ci.ipynb"
TAG = "describes-the-kit"

MAKEFILE = """\
# A comment: notebooks: is not a rule here
JOBS ?= auto
export SEED := 0
NBVAL := --nbval --nbval-current-env \\
\t--nbval-cell-timeout=120

test: lint \\
\tnotebooks

lint:
\truff check .

# Strict nbval
notebooks: stamp
\tpytest $(NBVAL) -n $(JOBS) \\
\t\tnotebooks
after: notebooks
"""

WORKFLOW = """\
name: CI
jobs:
  test:
    steps:
      - uses: actions/checkout@v6
      - name: Test
        run: make test
        env:
          X: "1"
    timeout-minutes: 5
"""


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    return tmp_path


# -- reading the files ---------------------------------------------------------------------
def test_a_variable_is_read_with_its_continuation_lines(kit: Path) -> None:
    assert make_variable("NBVAL", kit) == (
        "NBVAL := --nbval --nbval-current-env \\\n\t--nbval-cell-timeout=120"
    )
    assert make_variable("JOBS", kit) == "JOBS ?= auto"
    assert make_variable("SEED", kit) == "export SEED := 0"


def test_a_rule_is_its_line_and_its_recipe_up_to_the_next_line_outside_it(kit: Path) -> None:
    assert make_rule("notebooks", kit) == (
        "notebooks: stamp\n\tpytest $(NBVAL) -n $(JOBS) \\\n\t\tnotebooks"
    )
    assert make_rule("lint", kit) == "lint:\n\truff check ."


def test_prerequisites_come_in_order_across_continuation_lines(kit: Path) -> None:
    assert make_prerequisites("test", kit) == ["lint", "notebooks"]
    assert make_prerequisites("lint", kit) == []


def test_the_workflow_steps_are_read_as_written(kit: Path) -> None:
    assert workflow_steps(kit) == (
        '- uses: actions/checkout@v6\n- name: Test\n  run: make test\n  env:\n    X: "1"'
    )
    assert workflow_actions(kit) == ["uses: actions/checkout@v6", "run: make test"]


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda kit: make_variable("NOPE", kit), "defines no variable NOPE"),
        (lambda kit: make_rule("nope", kit), "has no rule for nope"),
        (lambda kit: make_rule("JOBS", kit), "has no rule for JOBS"),
        (lambda kit: workflow_steps(kit, "missing.yml"), "cannot read"),
        (lambda kit: workflow_steps(kit, "Makefile"), "has no steps"),
    ],
)
def test_what_is_not_there_is_a_kit_file_error(kit: Path, read: object, message: str) -> None:
    with pytest.raises(KitFileError, match=message):
        read(kit)  # type: ignore[operator]


# -- lesson 08 against the files -----------------------------------------------------------
def _lesson() -> nbformat.NotebookNode:
    notebook: nbformat.NotebookNode = nbformat.read(LESSON, as_version=4)
    return notebook


def _claims() -> list[tuple[int, str]]:
    found = []
    for index, cell in enumerate(_lesson().cells):
        if cell.cell_type == "markdown" and TAG in cell.metadata.get("tags", []):
            found += [(index, span) for span in re.findall(r"`([^`]+)`", cell.source)]
    return found


def _kit_text() -> str:
    text = (ROOT / "Makefile").read_text() + "\n" + (ROOT / ".github/workflows/ci.yml").read_text()
    return re.sub(r"\s+", " ", text.replace("\\\n", " "))


def _true_of_the_kit(span: str) -> bool:
    if (ROOT / span).exists():
        return True
    if span.startswith("make "):
        words = span.split()[1:]
        targets = [word for word in words if "=" not in word]
        variables = [word.split("=")[0] for word in words if "=" in word]
        try:
            for target in targets:
                make_rule(target, ROOT)
            for variable in variables:
                make_variable(variable, ROOT)
        except KitFileError:
            return False
        return True
    setting = re.fullmatch(r"(\w+)=(\S+)", span)
    if setting:
        name, value = setting.groups()
        with contextlib.suppress(KitFileError):
            definition = make_variable(name, ROOT)
            return re.search(rf"[:?]?=\s*{re.escape(value)}$", definition) is not None
        return False
    return re.sub(r"\s+", " ", span) in _kit_text()


def test_lesson_08_describes_the_kit_in_tagged_cells() -> None:
    claims = _claims()

    assert len(claims) >= 15, "lesson 08 lost its cells tagged describes-the-kit"
    assert {"make test", "-n $(JOBS) --dist loadscope", "pyproject.toml"} <= {
        span for _, span in claims
    }


def test_every_claim_of_lesson_08_about_the_kit_is_true_of_its_files() -> None:
    false = [f"cell {index}: `{span}`" for index, span in _claims() if not _true_of_the_kit(span)]

    assert not false, (
        "lesson 08 says of the kit what its Makefile and .github/workflows/ci.yml do not "
        "(fix the prose, or tag the cell differently):\n" + "\n".join(false)
    )


def test_the_checker_refuses_claims_the_files_do_not_support() -> None:
    assert not _true_of_the_kit("--nbval-lax")
    assert not _true_of_the_kit("make nosuchtarget")
    assert not _true_of_the_kit("make notebooks NOSUCHVAR=1")
    assert not _true_of_the_kit("PYTHONHASHSEED=1")
    assert _true_of_the_kit("PYTHONHASHSEED=0")


def test_lesson_08_shows_what_the_files_say_now(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = [
        cell
        for cell in _lesson().cells
        if cell.cell_type == "code" and ("make_" in cell.source or "workflow_" in cell.source)
    ]
    assert len(cells) >= 4, "lesson 08 no longer reads the Makefile and the workflow"
    monkeypatch.chdir(LESSON.parent)  # where the lesson runs: the kit is ".."
    namespace: dict[str, object] = {"Path": Path}
    for cell in cells:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(cell.source, namespace)
        stored = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

        assert stored == printed.getvalue(), (
            f"lesson 08's stored output of {cell.source.splitlines()[-1]!r} is not what the "
            "files say now: re-run it (tools/run_notebooks.py)"
        )
