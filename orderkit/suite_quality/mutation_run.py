"""Mutation testing of a suite: mutmut on a copy of the kit, in a fresh process."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orderkit.suite_quality.suite import (
    KIT,
    QUIET,
    SERVICES,
    SuiteRunError,
    TestFunction,
    run_tool,
    temporary_project,
)

# The order in which a mutant's fate is listed (mutmut's own words).
FATES = ("killed", "survived", "no tests", "timeout", "suspicious", "skipped", "segfault")
_RESULT_LINE = re.compile(r"^\s*(\S+): (.+?)\s*$", flags=re.MULTILINE)


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name for it, its fate, and (for a survivor) its diff."""

    name: str
    fate: str
    diff: str = ""

    @property
    def function(self) -> str:
        """The function it mutates, as ``Class.function`` or ``function``.

        mutmut names a mutant ``module.xǁClassǁfunction__mutmut_N`` (a method) or
        ``module.x_function__mutmut_N`` (a function).
        """
        mangled = self.name.rpartition("__mutmut_")[0].rpartition(".")[2]
        if mangled.startswith("xǁ"):
            return ".".join(mangled[2:].split("ǁ"))
        return mangled[2:]


@dataclass(frozen=True)
class MutationRun:
    """What mutmut reported for a suite: every mutant and its fate."""

    modules: tuple[str, ...]
    mutants: tuple[Mutant, ...]

    def counts(self) -> dict[str, int]:
        """How many mutants met each fate, in :data:`FATES` order (fates met only)."""
        seen = Counter(mutant.fate for mutant in self.mutants)
        return {fate: seen[fate] for fate in FATES if seen[fate]} | {
            fate: n for fate, n in seen.items() if fate not in FATES
        }

    def score(self) -> str:
        """Killed out of all mutants, as a percentage."""
        killed = self.counts().get("killed", 0)
        return f"{killed} of {len(self.mutants)} mutants killed ({killed / len(self.mutants):.0%})"

    def with_fate(self, fate: str) -> list[Mutant]:
        """The mutants that met ``fate`` ("killed", "survived", "no tests", ...)."""
        return [mutant for mutant in self.mutants if mutant.fate == fate]

    def survivors_by_function(self) -> dict[str, int]:
        """How many mutants of each function survived, in the order mutmut listed them."""
        return dict(Counter(mutant.function for mutant in self.with_fate("survived")))

    def mutant(self, name: str) -> Mutant:
        for mutant in self.mutants:
            if mutant.name == name:
                return mutant
        raise SuiteRunError(f"no mutant named {name!r} in this run")

    @classmethod
    def from_json(cls, text: str) -> MutationRun:
        """A run stored with :meth:`to_json` (the browser site shows one recorded on CPython)."""
        data = json.loads(text)
        return cls(tuple(data["modules"]), tuple(Mutant(**m) for m in data["mutants"]))


# mutmut stops a mutant's tests after (their clean run's time + ``timeout_constant``) x 15
# seconds of wall-clock time: with the default constant of 1, about 15 s, which a forked
# child can spend waiting for a core on a very busy machine (and a killed mutant would then
# count as a timeout, changing the lesson's counts). None of the services' mutants loops.
MUTMUT_CONFIG = """\
[tool.mutmut]
source_paths = ["orderkit"]
only_mutate = [{only}]
pytest_add_cli_args_test_selection = ["tests"]
pytest_add_cli_args = [{quiet}]
timeout_constant = 60.0
"""


# ``mutmut show`` for many mutants in one process: its command-line entry point, called
# once per name (a process per mutant costs ~0.7 s each).
SHOW_ALL = """\
import contextlib, io, json, sys
from importlib.metadata import entry_points

(mutmut,) = entry_points(group="console_scripts", name="mutmut")
cli = mutmut.load()
shown = {}
for name in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(["show", name], standalone_mode=False)
    shown[name] = out.getvalue()
print(json.dumps(shown))
"""


class NoTestRunsTheMutants(SuiteRunError):
    """mutmut stopped: no test of the suite runs any function it mutated."""


def _mutmut(*args: str, cwd: Path) -> str:
    done = run_tool([sys.executable, "-m", "mutmut", *args], cwd)
    if "could not find any test case for any mutant" in done.stdout:
        raise NoTestRunsTheMutants(
            "mutmut stopped: no test of this suite runs the code it mutated, so every "
            "mutant would survive. Call the functions you mean to test."
        )
    if done.returncode != 0:
        raise SuiteRunError(f"mutmut {args[0]} failed:\n{done.stdout[-2000:]}{done.stderr}")
    return done.stdout


def _diff(shown: str) -> str:
    """The diff of ``mutmut show``, without its heading and file names."""
    return "\n".join(
        line
        for line in shown.splitlines()
        if line[:1] in " +-@" and not line.startswith(("---", "+++"))
    ).rstrip()


def run_mutmut(
    tests: Sequence[TestFunction], modules: Sequence[str] = SERVICES, *, children: int = 2
) -> MutationRun:
    """Mutate ``modules`` of a copy of the kit and run ``tests`` against every mutant.

    Survivors come with their diffs (``mutmut show``); killed mutants without.
    """
    with temporary_project(tests) as root:
        shutil.copytree(KIT, root / "orderkit", ignore=shutil.ignore_patterns("__pycache__"))
        only = ", ".join(f'"orderkit/{module}"' for module in modules)
        quiet = ", ".join(f'"{arg}"' for arg in QUIET)
        (root / "pyproject.toml").write_text(MUTMUT_CONFIG.format(only=only, quiet=quiet))
        _mutmut("run", "--max-children", str(children), cwd=root)
        listed = _RESULT_LINE.findall(_mutmut("results", "--all", "true", cwd=root))
        survivors = [name for name, fate in listed if fate == "survived"]
        shown = run_tool([sys.executable, "-c", SHOW_ALL, *survivors], root)
        if shown.returncode != 0:
            raise SuiteRunError(f"mutmut show failed:\n{shown.stderr}")
        diffs: dict[str, str] = json.loads(shown.stdout)
        mutants = [Mutant(name, fate, _diff(diffs.get(name, ""))) for name, fate in listed]
    if not mutants:
        raise SuiteRunError(f"mutmut made no mutants of {modules}:\n{listed}")
    return MutationRun(tuple(modules), tuple(mutants))
