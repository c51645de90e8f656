"""How good is a suite? Lesson 09 measures one with coverage.py and with mutmut.

Both tools run in a fresh Python process, on a copy of the suite written to a temporary
folder, never in the notebook's kernel:

* coverage.py only sees the lines that run after it starts, and a kernel imported the kit
  long before (every ``def`` and ``class`` line would be reported as never run);
* mutmut copies the package it mutates, forks a child per mutant and must import its
  mutated copy of the kit in place of the installed one.

The suite is a list of test functions defined in the notebook; their source is written to
``tests/test_suite.py`` under the imports a lesson's tests use (``pytest`` and every name
``orderkit`` exports). A run returns plain data (:class:`CoverageRun`,
:class:`MutationRun`) that can be stored as JSON, so that a browser, which can start no
process, can show a run recorded on CPython.
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orderkit
from orderkit.errors import OrderkitError
from orderkit.notebook import QUIET_PLUGINS

KIT = Path(orderkit.__file__).resolve().parent
"""The installed kit's package folder: what coverage measures and mutmut copies."""

SERVICES = ("orders.py", "inventory.py")
"""The modules lesson 09 measures: the two services."""

TIMEOUT = 300  # seconds for one tool run; a run of the lesson takes a few seconds

# The order in which a mutant's fate is listed (mutmut's own words).
FATES = ("killed", "survived", "no tests", "timeout", "suspicious", "skipped", "segfault")
_RESULT_LINE = re.compile(r"^\s*(\S+): (.+?)\s*$", flags=re.MULTILINE)
_QUIET = [arg for plugin in QUIET_PLUGINS for arg in ("-p", f"no:{plugin}")]

TestFunction = Callable[..., Any]


class SuiteRunError(OrderkitError, RuntimeError):
    """A coverage or mutation run could not be made, or did not finish."""


def suite_source(tests: Sequence[TestFunction]) -> str:
    """The source of a test module holding ``tests``, under the imports they may use."""
    if not tests:
        raise SuiteRunError("a suite needs at least one test function")
    bodies = []
    for test in tests:
        if not callable(test) or not test.__name__.startswith("test"):
            raise SuiteRunError(f"{test!r} is not a test function (its name starts with test)")
        try:
            bodies.append(textwrap.dedent(inspect.getsource(test)))
        except (OSError, TypeError) as error:
            raise SuiteRunError(f"cannot read the source of {test.__name__}: {error}") from None
    names = ", ".join(sorted(orderkit.__all__))
    header = f"import pytest\n\nfrom orderkit import {names}\n"
    return "\n\n".join([header, *bodies])


@contextmanager
def _project(tests: Sequence[TestFunction]) -> Iterator[Path]:
    """A temporary folder with ``tests/test_suite.py``; removed afterwards."""
    source = suite_source(tests)
    with tempfile.TemporaryDirectory(prefix="orderkit-suite-") as folder:
        root = Path(folder)
        (root / "tests").mkdir()
        (root / "tests" / "test_suite.py").write_text(source)
        yield root


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "NO_COLOR": "1", **env}
    env.pop("PYTEST_ADDOPTS", None)
    try:
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise SuiteRunError(f"{command[2]} did not finish within {TIMEOUT} s") from None


# -- coverage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRun:
    """What coverage.py reported for a suite: its command line, outcome and table."""

    command: str
    tests: str
    table: str

    def __str__(self) -> str:
        return f"{self.tests}\n\n{self.table}"

    def missed(self, module: str) -> list[int]:
        """The line numbers of ``module`` (``"orders.py"``) that no test ran."""
        row = next(
            (r for r in self.table.splitlines() if r.startswith(f"orderkit/{module} ")), None
        )
        if row is None:
            raise SuiteRunError(f"{module} is not in this coverage report")
        lines: list[int] = []
        for entry in row.partition("%")[2].split(","):
            first, _, last = entry.strip().partition("-")
            if first.isdigit() and (last.isdigit() or not last):  # not a branch, 48->50
                lines += range(int(first), int(last or first) + 1)
        return lines

    def missed_in(self, function: Callable[..., Any]) -> list[str]:
        """The lines of one of the kit's functions that no test ran, with their numbers."""
        function = inspect.unwrap(function)
        source, first = inspect.getsourcelines(function)
        missed = set(self.missed(Path(inspect.getfile(function)).name))
        return [
            f"{number}: {text.rstrip()}"
            for number, text in enumerate(source, start=first)
            if number in missed
        ]


def coverage_command(modules: Sequence[str] = SERVICES) -> list[str]:
    """pytest with pytest-cov: line and branch coverage of ``modules`` of the kit."""
    targets = [f"--cov=orderkit.{Path(module).stem}" for module in modules]
    return ["pytest", *targets, "--cov-branch", "--cov-report=term-missing", "tests"]


def _coverage_table(output: str) -> str:
    """coverage's table from pytest's output."""
    lines = output.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
        end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    except StopIteration:
        raise SuiteRunError(f"no coverage table in pytest's output:\n{output}") from None
    return "\n".join(lines[start : end + 1])


def _outcome(output: str) -> str:
    """pytest's last line, such as ``3 passed``, without its timing."""
    found = re.findall(
        r"^=*\s*(\d+ (?:passed|failed|error).*?)(?: in [\d.]+s)?\s*=*$", output, flags=re.MULTILINE
    )
    if not found:
        raise SuiteRunError(f"pytest printed no outcome:\n{output}")
    return str(found[-1])


def measure_coverage(
    tests: Sequence[TestFunction], modules: Sequence[str] = SERVICES
) -> CoverageRun:
    """Run ``tests`` under pytest-cov in a fresh process; return coverage's report.

    The process runs in the folder that holds the kit, so that coverage names its files
    ``orderkit/...`` wherever it is installed; its data file goes to the temporary folder.
    """
    command = coverage_command(modules)
    with _project(tests) as root:
        arguments = [*command[:-1], str(root / "tests"), "--rootdir", str(root)]
        done = _run(
            [sys.executable, "-m", *arguments, *_QUIET, "-q", "--color=no"],
            KIT.parent,
            COVERAGE_FILE=str(root / ".coverage"),
        )
    if "coverage:" not in done.stdout:
        raise SuiteRunError(f"pytest --cov failed:\n{done.stdout}{done.stderr}")
    return CoverageRun(" ".join(command), _outcome(done.stdout), _coverage_table(done.stdout))


# -- mutation ------------------------------------------------------------------------------


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


def hand_made_mutant(name: str) -> str:
    """A wheat or chaff of the kit's bug catalogue, as a diff of the file it changes.

    The catalogue's entries are mutants too, each chosen by hand: a chaff is a bug a teacher
    wants tests to catch, a wheat a change that no valid test may catch.
    """
    from orderkit.classroom import load  # the classroom only when asked: it is heavier

    implementation = load().named(name)
    after: dict[str, str] = {}
    for change in implementation.changes:  # in order, each on the file as changed so far
        text = after.get(change.file, (KIT / change.file).read_text())
        after[change.file] = text.replace(change.find, change.replace, change.count)
    parts = []
    for file, text in after.items():
        before = (KIT / file).read_text().splitlines()
        diff = difflib.unified_diff(before, text.splitlines(), lineterm="", n=1)
        parts += [line for line in diff if not line.startswith(("---", "+++"))]
    return f"{implementation.kind} {name!r}: {implementation.title}\n" + "\n".join(parts)


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
    done = _run([sys.executable, "-m", "mutmut", *args], cwd)
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
    with _project(tests) as root:
        shutil.copytree(KIT, root / "orderkit", ignore=shutil.ignore_patterns("__pycache__"))
        only = ", ".join(f'"orderkit/{module}"' for module in modules)
        quiet = ", ".join(f'"{arg}"' for arg in _QUIET)
        (root / "pyproject.toml").write_text(MUTMUT_CONFIG.format(only=only, quiet=quiet))
        _mutmut("run", "--max-children", str(children), cwd=root)
        listed = _RESULT_LINE.findall(_mutmut("results", "--all", "true", cwd=root))
        survivors = [name for name, fate in listed if fate == "survived"]
        shown = _run([sys.executable, "-c", SHOW_ALL, *survivors], root)
        if shown.returncode != 0:
            raise SuiteRunError(f"mutmut show failed:\n{shown.stderr}")
        diffs: dict[str, str] = json.loads(shown.stdout)
        mutants = [Mutant(name, fate, _diff(diffs.get(name, ""))) for name, fate in listed]
    if not mutants:
        raise SuiteRunError(f"mutmut made no mutants of {modules}:\n{listed}")
    return MutationRun(tuple(modules), tuple(mutants))


# -- stored runs (the browser site) --------------------------------------------------------

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
