"""Set-up for running pytest inside notebook cells (ipytest), the same in every lesson."""

from __future__ import annotations

from pathlib import Path

import ipytest

PYTEST_INI = Path(__file__).with_name("notebook_pytest.ini")
"""The pytest configuration of every in-notebook test run (passed with ``-c``)."""

QUIET_PLUGINS = (
    "nbval",
    "xdist",
    "xdist.looponfail",
    "anyio",
    "platformdirs",
    "randomly",
    "cacheprovider",  # would write .pytest_cache beside the notebook
    "hypothesispytest",  # imports all of hypothesis at the end of every run
    "unraisableexception",  # full gc.collect() passes at the end of every run
)
"""pytest plugins a test run inside a notebook does without.

Every installed plugin loads on every run and some are slow to load; none is needed to run
the tests (hypothesis's ``@given`` works without its plugin).
"""


def pytest_args(ini: Path = PYTEST_INI) -> list[str]:
    """The arguments every pytest run inside a notebook starts with (lessons, lights, check).

    The kit's settings (``ini``); collection from the working folder down only
    (``--confcutdir``: otherwise pytest would start at the folders above it, listing them
    and loading any ``conftest.py`` found there, such as one planted in a shared /tmp);
    quiet; plain asserts; none of :data:`QUIET_PLUGINS`.
    """
    args = ["-c", str(ini), "--rootdir", ".", "--confcutdir", ".", "-q", "--assert=plain"]
    for plugin in QUIET_PLUGINS:
        args += ["-p", f"no:{plugin}"]
    return args


def setup_ipytest() -> None:
    """Configure ipytest for the lessons.

    * ``%%ipytest`` cells run the tests defined in the notebook so far;
    * ``raise_on_error=True``: a failing test fails its cell, so notebook validation (and a
      learner running all cells) notices it, instead of printing red and going on;
    * quiet output (``-q``) and no plugins a lesson does not need, so a run stays short;
    * the kit's own pytest settings (:data:`PYTEST_INI`), not those of whatever project
      holds the notebook;
    * ``--assert=plain``: ipytest rewrites the asserts of cells itself, and pytest's import
      hook would only warn about modules (such as hypothesis) imported before the run.
    """
    ipytest.autoconfig(raise_on_error=True, addopts=[*pytest_args(), "--color=yes"])
