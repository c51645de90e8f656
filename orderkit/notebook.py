"""Set-up for running pytest inside notebook cells (ipytest), the same in every lesson."""

from __future__ import annotations

import ipytest

# Plugins that have no business inside a lesson's test run: they slow every %%ipytest cell
# (each installed pytest plugin is loaded per run) or write caches beside the notebook.
_QUIET_PLUGINS = (
    "nbval",
    "xdist",
    "xdist.looponfail",
    "anyio",
    "platformdirs",
    "cacheprovider",
)


def setup_ipytest() -> None:
    """Configure ipytest for the lessons.

    * ``%%ipytest`` cells run the tests defined in the notebook so far;
    * ``raise_on_error=True``: a failing test fails its cell, so notebook validation (and a
      learner running all cells) notices it, instead of printing red and going on;
    * quiet output (``-q``) and no plugins a lesson does not need, so a run takes a
      fraction of a second.
    """
    addopts = ["-q", "--color=yes"]
    for plugin in _QUIET_PLUGINS:
        addopts += ["-p", f"no:{plugin}"]
    ipytest.autoconfig(raise_on_error=True, addopts=addopts)
