"""Checks that need the site's build venv (.venv-lite), so they run under make lite-test."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK_JSONSCHEMA = ROOT / ".venv-lite" / "bin" / "check-jsonschema"


def test_the_workflows_match_the_github_workflow_schema() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    checked = subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflows),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
