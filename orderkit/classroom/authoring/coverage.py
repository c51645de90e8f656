"""What a graded class says of the catalogue: bugs nobody caught, bugs everybody caught, and
the kit's functions no chaff changes.

A bug nobody caught is a hint too hard, a bug the exercise never asks about, or a chaff
whose change no reasonable test sees; a bug everybody caught grades nothing (it separates
no student from another). Both are worth a look before the next class. ``orderkit bugs
check --graded grades/`` reads the ``results/*.json`` that ``orderkit grade`` wrote.
"""

from __future__ import annotations

import ast
import importlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.bugs.kitpatch import definitions, module_name
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.grading.results import CheckResult, from_data


@dataclass
class BugRate:
    """One chaff across a class: in how many graded results it was, and caught."""

    name: str
    graded: int = 0
    caught: int = 0


@dataclass
class ClassCoverage:
    """The bugs of a graded class, by how many students caught them."""

    results: int = 0
    rates: dict[str, BugRate] = field(default_factory=dict)

    @property
    def nobody(self) -> list[BugRate]:
        return [r for r in self.rates.values() if r.graded and not r.caught]

    @property
    def everybody(self) -> list[BugRate]:
        return [r for r in self.rates.values() if r.graded and r.caught == r.graded]


def read_graded(folder: Path) -> list[CheckResult]:
    """The results in ``folder/results/*.json`` (or ``folder`` itself), graded ones only."""
    folder = Path(folder)
    results = folder / "results" if (folder / "results").is_dir() else folder
    files = sorted(results.glob("*.json"))
    if not files:
        raise ClassroomError(
            f"{folder}: no results/*.json in it (the --out folder of orderkit grade)"
        )
    found = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            result = data.get("result") if isinstance(data, dict) else None
            if result is not None:
                found.append(from_data(result))
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise ClassroomError(f"{path}: not a result orderkit grade wrote ({error})") from None
    return found


def class_coverage(results: Iterable[CheckResult]) -> ClassCoverage:
    """How many results had each chaff, and how many caught it (grader failures left out)."""
    coverage = ClassCoverage()
    for result in results:
        if result.error:
            continue
        coverage.results += 1
        for chaff in result.chaffs:
            rate = coverage.rates.setdefault(chaff.name, BugRate(chaff.name))
            rate.graded += 1
            rate.caught += chaff.caught
    return coverage


def unchanged_functions(catalogue: Catalogue) -> dict[str, list[str]]:
    """Per kit file that some entry changes, the functions and methods no chaff changes.

    A function counts as changed when a chaff's patched source of it differs from the
    original (compared definition by definition, so line shifts do not count).
    """
    changed: dict[str, set[str]] = {}
    files = {c.file for i in catalogue.implementations for c in i.changes}
    originals = {file: _definitions(_source(file)) for file in files}
    for chaff in catalogue.of_kind("chaff"):
        for name, text in chaff.sources().items():
            file = next(f for f in files if module_name(f) == name)
            after = _definitions(text)
            before = originals[file]
            changed.setdefault(file, set()).update(q for q in before if after.get(q) != before[q])
    unchanged = {}
    for file in sorted(files):
        functions = [q for q in _functions(_source(file)) if q not in changed.get(file, set())]
        if functions:
            unchanged[file] = functions
    return unchanged


def _source(file: str) -> str:
    module = importlib.import_module(module_name(file))
    return Path(module.__file__ or "").read_text(encoding="utf-8")


def _functions(source: str) -> list[str]:
    """The qualified names of the functions and methods of ``source``, in order."""
    found = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not (
                node.name.startswith("__") and node.name != "__init__"
            ):  # __repr__ and friends: no behaviour a test of the contract checks
                found.append(f"{prefix}{node.name}")
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(ast.parse(source).body, "")
    return found


def _definitions(source: str) -> dict[str, str]:
    lines = source.splitlines()
    return {
        name: "\n".join(lines[first - 1 : last])
        for name, (first, last) in definitions(source).items()
    }
