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
    "hypothesispytest",  # imports all of hypothesis (~1 s) at the end of every run
    "unraisableexception",  # full gc.collect() passes at the end of every run
)
"""pytest plugins a test run inside a notebook does without.

Every installed plugin loads on every run and some cost a second; none is needed to run
the tests (hypothesis's ``@given`` works without its plugin).
"""


def setup_ipytest() -> None:
    """Configure ipytest for the lessons.

    * ``%%ipytest`` cells run the tests defined in the notebook so far;
    * ``raise_on_error=True``: a failing test fails its cell, so notebook validation (and a
      learner running all cells) notices it, instead of printing red and going on;
    * quiet output (``-q``) and no plugins a lesson does not need, so a run takes a
      fraction of a second;
    * the kit's own pytest settings (:data:`PYTEST_INI`), not those of whatever project
      holds the notebook;
    * ``--assert=plain``: ipytest rewrites the asserts of cells itself, and pytest's import
      hook would only warn about modules (such as hypothesis) imported before the run.
    """
    addopts = ["-c", str(PYTEST_INI), "--rootdir", ".", "-q", "--color=yes", "--assert=plain"]
    for plugin in QUIET_PLUGINS:
        addopts += ["-p", f"no:{plugin}"]
    ipytest.autoconfig(raise_on_error=True, addopts=addopts)
