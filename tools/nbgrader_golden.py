"""Regenerate the golden student versions in tests/data/nbgrader/release/ with nbgrader itself.

``tests/classroom/test_release.py`` compares ``orderkit release`` with what
``nbgrader generate_assignment`` wrote for the same sources. Run this after adding a source
assignment under ``tests/data/nbgrader/source/``. nbgrader lives in a throw-away virtualenv,
never in the kit's own (it pins much of Jupyter)::

    python3 -m venv /tmp/nbgvenv && /tmp/nbgvenv/bin/pip install nbgrader==0.9.6
    .venv/bin/python tools/nbgrader_golden.py /tmp/nbgvenv/bin/nbgrader
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "nbgrader"
NBGRADER_VERSION = "0.9.6"  # the version the golden files and the README name


def generate(nbgrader: Path, data: Path = DATA) -> list[Path]:
    """Run ``nbgrader generate_assignment`` on every source assignment; return files written."""
    # `nbgrader --version` prints the Python version, then "nbgrader version X.Y.Z".
    said = subprocess.run([nbgrader, "--version"], capture_output=True, text=True, check=True)
    version = said.stdout.split()[-1]
    if version != NBGRADER_VERSION:
        raise SystemExit(f"{nbgrader} is nbgrader {version}, expected {NBGRADER_VERSION}")
    # nbgrader calls `alembic` by name to set up its gradebook: put its venv first on PATH.
    env = {**os.environ, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ['PATH']}"}
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch)
        shutil.copytree(data / "source", course / "source")
        (course / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        )
        for assignment in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
            subprocess.run(
                [nbgrader, "generate_assignment", assignment, "--force"],
                cwd=course,
                env=env,
                check=True,
                capture_output=True,
            )
            target = data / "release" / assignment
            target.mkdir(parents=True, exist_ok=True)
            for notebook in sorted((course / "release" / assignment).glob("*.ipynb")):
                written.append(Path(shutil.copy2(notebook, target / notebook.name)))
    return written


def main() -> None:
    """Command line: the path of the ``nbgrader`` executable to use."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nbgrader", type=Path, help="e.g. /tmp/nbgvenv/bin/nbgrader")
    for path in generate(parser.parse_args().nbgrader.absolute()):
        print(f"wrote {path.relative_to(DATA.parents[2])}")


if __name__ == "__main__":
    main()
