"""Run the ``orderkit`` command line as a user would: a new process, output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_orderkit(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m orderkit ARGS...``; never raises on a non-zero exit status."""
    return subprocess.run(
        [sys.executable, "-m", "orderkit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
