"""What makes `make notebooks` validate faster, validating no less.

No process that reads a notebook builds jsonschema's IRI grammars (the pin in
constraints.txt), and ``tools.kernel_pool`` starts each notebook's fresh kernel one notebook
ahead. They run here in separate processes, as `make notebooks` runs them (``-p``, the
repository on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kernel_pool import PooledKernel

from tests.processes import live_with

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


def _notebook(folder: Path, name: str) -> Path:
    """A one-cell notebook that records its kernel's process id, folder and xdist worker."""
    source = (
        "# NBVAL_IGNORE_OUTPUT\n"
        "import os, pathlib\n"
        "with open(os.environ['KERNELS_LOG'], 'a') as log:\n"
        f"    worker = os.environ.get('PYTEST_XDIST_WORKER', '-')\n"
        f"    print({name!r}, os.getpid(), worker, pathlib.Path.cwd(), file=log)"
    )
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "id": name,
                "execution_count": 1,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(notebook))
    return path


@pytest.mark.slow
def test_kernel_pool_gives_every_notebook_a_fresh_kernel_in_its_folder(tmp_path: Path) -> None:
    notebooks = [
        _notebook(tmp_path / "lessons", "first"),
        _notebook(tmp_path / "lessons", "second"),
        _notebook(tmp_path / "exercises", "third"),
    ]
    log = tmp_path / "kernels.log"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["--nbval", "--nbval-current-env", "-p", "tools.kernel_pool", "-c", os.devnull]
    command += ["-W", "error"]  # as the kit's pytest settings: no unclosed loop, file, socket

    done = subprocess.run(
        [*command, "--rootdir", str(tmp_path), *map(str, notebooks)],
        cwd=ROOT,
        env={**os.environ, "KERNELS_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stdout[-3000:]
    runs = [line.split(" ", 3) for line in log.read_text().splitlines()]
    assert [name for name, _, _, _ in runs] == ["first", "second", "third"]
    assert len({pid for _, pid, _, _ in runs}) == 3, "each notebook gets its own kernel"
    assert [Path(folder) for _, _, _, folder in runs] == [path.parent for path in notebooks]
    left = live_with(f"KERNELS_LOG={log}", held_in="environ")
    assert left == [], "no kernel, spare or not, outlives it"


def test_a_kernel_that_dies_at_start_is_a_clear_error_not_a_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "kernels" / "dying"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "raise SystemExit(3)", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "dying"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))

    with pytest.raises(RuntimeError, match="died before it answered"):
        PooledKernel("dying", startup_timeout=60)
