"""Coverage hints: the kit's functions and branches that no valid test runs.

Once every test of a student is valid (and written), one more run of the tests on the
reference, with coverage.py measuring, tells which functions of the exercise's kit files
no test enters and which branches of the functions they do enter no test takes, as
Web-CAT and Examplar do. It waits for validity so that students fix their tests first;
its run feeds the hints alone, never a verdict, a catch or a score.

The hints name the kit's real source: functions by their qualified name, branches by the
text of their line, never a line number (a batch run's copy of the kit has random line
numbers; :mod:`orderkit.classroom.batch.kitcopy` maps them back first). They never name
a bug: the files they look at are those the exercise's public entries change
(:func:`scope`), narrowed by the exercise's ``hints`` key.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orderkit.classroom.bugs.catalogue import Catalogue
from orderkit.classroom.bugs.exercises import Exercise
from orderkit.classroom.bugs.kitpatch import kit_files
from orderkit.classroom.runtime.measure import Arcs

KIT = Path(__file__).resolve().parents[2]
WAITING = "coverage hints appear once every test is valid"
UNAVAILABLE = (
    "no coverage hints in this kernel: coverage.py is not installed, or, as in the "
    "browser, the tests are timed without signals"
)
NO_HINTS = "ORDERKIT_NO_HINTS"
"""Set to 1 to make no hint run (check() and orderkit grade): e.g. to time what it costs."""


def wanted() -> bool:
    """Whether to make the hint run at all (:data:`NO_HINTS` not set to 1)."""
    return os.environ.get(NO_HINTS) != "1"


@dataclass(frozen=True)
class Scope:
    """What the hints look at: kit files, and (if given) the functions' name patterns."""

    files: tuple[str, ...]
    patterns: tuple[str, ...] = ()

    def keeps(self, qualname: str) -> bool:
        return not self.patterns or any(fnmatch.fnmatchcase(qualname, p) for p in self.patterns)


def scope(catalogue: Catalogue, exercise: Exercise | None) -> Scope:
    """The kit files the exercise's public wheats and chaffs change (a private entry never
    widens it), narrowed by the exercise's ``hints``: the files it lists, the functions its
    patterns match."""
    files = {
        change.file
        for entry in catalogue.implementations
        if entry.kind in ("wheat", "chaff") and not entry.private
        for change in entry.changes
    }
    wanted = exercise.hints if exercise is not None else ()
    listed = {h for h in wanted if h.endswith(".py")}
    if listed:
        files &= listed
    known = set(kit_files())
    return Scope(
        tuple(sorted(f for f in files if f in known)),
        tuple(h for h in wanted if not h.endswith(".py")),
    )


def hints(arcs: Arcs, where: Scope) -> tuple[str, ...]:
    """What the measured ``arcs`` (per kit file, lines of its real source) left untaken
    in ``where``, in the kit's words: one line per function or branch."""
    import coverage

    found: list[str] = []
    for file in where.files:
        path = KIT / file
        cov = coverage.Coverage(branch=True, data_file=None, config_file=False)
        cov.get_data().add_arcs({str(path): list(arcs.get(file, ()))})
        with tempfile.TemporaryDirectory(prefix="orderkit-hints-") as folder:
            out = Path(folder) / "coverage.json"
            cov.json_report(morfs=[str(path)], outfile=str(out))
            report = json.loads(out.read_text(encoding="utf-8"))
        (measured,) = report["files"].values()
        source = path.read_text(encoding="utf-8")
        found += _untaken(measured["functions"], source, where)
    return tuple(found)


def _untaken(functions: Mapping[str, dict[str, object]], source: str, where: Scope) -> list[str]:
    branching = {
        node.lineno: node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While))
    }
    found = []
    ordered = sorted(functions.items(), key=lambda item: _number(item[1].get("start_line")))
    for name, region in ordered:
        short = name.rsplit(".", 1)[-1]
        if not name or (short.startswith("__") and short != "__init__") or not where.keeps(name):
            continue
        summary = region.get("summary")
        if not isinstance(summary, dict) or not summary.get("num_statements"):
            continue
        if not summary.get("covered_lines"):
            found.append(f"no test runs {name}")
            continue
        missing = region.get("missing_branches")
        unreached = region.get("missing_lines")
        unreached = set(unreached) if isinstance(unreached, list) else set()
        for start, end in sorted(missing if isinstance(missing, list) else []):
            node = branching.get(start)
            if start in unreached:  # neither way taken: the line itself never ran
                found.append(f"{name}: no test reaches {_shown(_head(node))}")
            else:
                found.append(f"{name}: {_branch(node, end)}")
    return list(dict.fromkeys(found))  # what two ways out say alike, said once


def _number(value: object) -> int:
    return value if isinstance(value, int) else 0


def _head(node: ast.AST | None) -> str:
    """A branching statement's first line as code (no comment, no line number)."""
    if isinstance(node, (ast.If, ast.While)):
        return f"{'if' if isinstance(node, ast.If) else 'while'} {ast.unparse(node.test)}:"
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}:"
    return "a branch"


def _branch(node: ast.AST | None, to: int) -> str:
    """A branch never taken, in a learner's words, by its line as code."""
    if isinstance(node, ast.If):
        into = bool(node.body) and to == node.body[0].lineno
        return f"no test makes {_shown(_head(node))} {'true' if into else 'false'}"
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        if node.body and to == node.body[0].lineno:
            return f"no test runs the body of the loop {_shown(_head(node))}"
        return f"no test gets to the end of the loop {_shown(_head(node))} (each leaves it early)"
    return "no test takes one of its branches"


def _shown(text: str) -> str:
    return f"`{text if len(text) <= 70 else text[:67] + '...'}`"
