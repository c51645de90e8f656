"""The kit's own build files, read as they are now: its ``Makefile`` and CI workflow.

Lesson 08 shows how the kit tests its notebooks. It prints the real recipes and steps with
these functions instead of copies, so that the lesson cannot drift from the files (and
strict nbval notices when the files change and the lesson's outputs were not re-run).
Only the simple, regular shapes the kit's files use are read: ``NAME := value`` variables,
``target: prerequisites`` rules with tab-indented recipes, and a workflow's ``steps:`` list.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from orderkit.errors import OrderkitError

MAKEFILE = "Makefile"
WORKFLOW = ".github/workflows/ci.yml"


class KitFileError(OrderkitError, LookupError):
    """A build file, or the variable, rule or section asked for, is not there."""


def _read(root: Path | str, name: str) -> list[str]:
    path = Path(root) / name
    try:
        return path.read_text().splitlines()
    except OSError as error:
        raise KitFileError(f"cannot read {path}: {error.strerror}") from None


def _logical_lines(lines: list[str]) -> list[list[str]]:
    """Physical lines grouped into make's logical lines (a trailing backslash continues)."""
    grouped: list[list[str]] = []
    continued = False
    for line in lines:
        if continued:
            grouped[-1].append(line)
        else:
            grouped.append([line])
        continued = line.endswith("\\")
    return grouped


def make_variable(name: str, root: Path | str = ".") -> str:
    """The definition of variable ``name`` in the Makefile under ``root``, as written."""
    pattern = re.compile(rf"^(export\s+)?{re.escape(name)}\s*(:=|\?=|\+=|=)")
    for group in _logical_lines(_read(root, MAKEFILE)):
        if pattern.match(group[0]):
            return "\n".join(group)
    raise KitFileError(f"{MAKEFILE} defines no variable {name}")


def _rule(target: str, root: Path | str) -> tuple[list[str], list[str]]:
    """The rule's own logical line and its recipe lines, as physical lines."""
    groups = _logical_lines(_read(root, MAKEFILE))
    pattern = re.compile(rf"^{re.escape(target)}\s*:(?!=)")
    for index, group in enumerate(groups):
        if pattern.match(group[0]):
            recipe: list[str] = []
            for lines in groups[index + 1 :]:
                if not lines[0].startswith("\t"):
                    break
                recipe += lines
            return group, recipe
    raise KitFileError(f"{MAKEFILE} has no rule for {target}")


def make_rule(target: str, root: Path | str = ".") -> str:
    """The rule for ``target`` in the Makefile under ``root``: its line and its recipe."""
    head, recipe = _rule(target, root)
    return "\n".join(head + recipe)


def make_prerequisites(target: str, root: Path | str = ".") -> list[str]:
    """The targets ``target`` depends on, in order (``make test`` runs them left to right)."""
    head, _recipe = _rule(target, root)
    line = " ".join(part.removesuffix("\\") for part in head)
    return line.split(":", 1)[1].split()


def workflow_steps(root: Path | str = ".", workflow: str = WORKFLOW) -> str:
    """The ``steps:`` list of the CI workflow under ``root``, as written (dedented)."""
    lines = _read(root, workflow)
    for index, line in enumerate(lines):
        if line.strip() == "steps:":
            indent = len(line) - len(line.lstrip())
            block = []
            for step in lines[index + 1 :]:
                if step.strip() and len(step) - len(step.lstrip()) <= indent:
                    break
                block.append(step)
            return textwrap.dedent("\n".join(block)).strip("\n")
    raise KitFileError(f"{workflow} has no steps")


def workflow_actions(root: Path | str = ".", workflow: str = WORKFLOW) -> list[str]:
    """What each step does: ``uses: <action>`` or ``run: <command>``, in order."""
    return re.findall(
        r"^- (?:name: .*\n\s+)?((?:uses|run): .+)$", workflow_steps(root, workflow), re.M
    )


__all__ = [
    "MAKEFILE",
    "WORKFLOW",
    "KitFileError",
    "make_prerequisites",
    "make_rule",
    "make_variable",
    "workflow_actions",
    "workflow_steps",
]
