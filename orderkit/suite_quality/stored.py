"""Runs stored as JSON: the browser site, which can start no process, shows recorded ones."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from orderkit.suite_quality.coverage_run import CoverageRun
from orderkit.suite_quality.mutation_run import MutationRun
from orderkit.suite_quality.suite import SuiteRunError

Run = CoverageRun | MutationRun


def recording(namespace: dict[str, Any]) -> str:
    """Every coverage and mutation run in ``namespace``, by name, as JSON."""
    runs = {
        name: {"kind": type(value).__name__, **asdict(value)}
        for name, value in sorted(namespace.items())
        if isinstance(value, (CoverageRun, MutationRun))
    }
    return json.dumps(runs, indent=1, ensure_ascii=False) + "\n"


def stored_run(path: Path | str, name: str) -> Run:
    """The run called ``name`` in a file written from :func:`recording`."""
    runs = json.loads(Path(path).read_text())
    if name not in runs:
        raise SuiteRunError(f"{path} holds no run called {name!r}, only {sorted(runs)}")
    data = dict(runs[name])
    kind = data.pop("kind")
    if kind == "CoverageRun":
        return CoverageRun(**data)
    return MutationRun.from_json(json.dumps(data))
