"""The GitHub Pages workflow builds, tests and publishes the site with the Makefile's targets.

``actionlint`` cannot be installed offline; ``make lite-test`` also validates the workflow
against the GitHub workflow schema vendored in ``check-jsonschema`` (``test_lite_venv.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(PAGES.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    steps = workflow["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def test_pages_builds_and_tests_the_site_with_make_then_uploads_it(
    workflow: dict[Any, Any],
) -> None:
    steps = _steps(workflow, "build")
    runs = [step["run"] for step in steps if "run" in step]
    uses = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    upload = next(step for step in steps if "upload-pages-artifact" in step.get("uses", ""))

    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert [run.split()[:2] for run in runs] == [["make", "lite-test"]]
    assert upload["with"]["path"] == "dist/lite"
    assert "ORDERKIT_CHROMIUM" in next(step for step in steps if "run" in step)["env"]


def test_pages_deploys_only_from_main_with_the_least_permissions(
    workflow: dict[Any, Any],
) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    deploy = workflow["jobs"]["deploy"]

    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert all("timeout-minutes" in job for job in workflow["jobs"].values())
