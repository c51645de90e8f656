"""What makes `make notebooks` validate faster, validating no less.

No process that reads a notebook builds jsonschema's IRI grammars (the pin in
constraints.txt), and the pytest processes that drive the kernels leave out plugins they
do not use (``-p no:...`` in the Makefile). Both are configuration: nothing here reaches
into nbval, pytest-xdist, jupyter_client or ipykernel.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

READ_A_NOTEBOOK = """
import sys
import nbformat

nbformat.read("notebooks/00-how-to-use-this-kit.ipynb", as_version=4)  # validates it
print(sorted({"lark", "rfc3987_syntax"} & set(sys.modules)))
"""


def test_reading_a_notebook_builds_no_iri_grammar() -> None:
    # Every process of `make notebooks` (and lesson 08's own nbval run) reads notebooks;
    # jsonschema 4.24+ would build rfc3987_syntax's grammars there (~0.8 s each), for IRI
    # checks nbformat never makes. constraints.txt pins a jsonschema that does not.
    done = subprocess.run(
        [sys.executable, "-c", READ_A_NOTEBOOK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == "[]"


def test_every_plugin_make_notebooks_leaves_out_is_one_pytest_would_load() -> None:
    # pytest ignores `-p no:NAME` when no plugin is called NAME: a plugin renamed upstream
    # would quietly come back into every validation run.
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    left_out = set(re.findall(r"-p no:(\S+)", dry_run.stdout))
    installed = {entry.name for entry in entry_points(group="pytest11")}

    assert left_out, "make notebooks leaves out no plugin any more: drop this test"
    assert left_out <= installed, f"no such pytest plugin: {sorted(left_out - installed)}"
