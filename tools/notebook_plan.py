"""A pytest-xdist scheduler that deals the notebooks out longest first, one ahead.

``--dist loadscope`` keeps each notebook on one worker but deals the notebooks out in order
of cell count, and gives a worker its next notebook only when two cells of the one it runs
are left. Cell count says little about how long a notebook runs here (lesson 08 has 17
cells and runs a whole nbval session of its own; lesson 01 has 20 quick ones), so the two
workers could end up to a second apart. And a worker hardly ever knew which notebook comes
after the one it runs, so ``tools.kernel_pool`` had to guess the folder of the next kernel,
and started kernels nobody used.

Here the notebooks are dealt out longest first (LPT scheduling), and each worker always
holds the notebook it runs and the next one: when it finishes one, it is sent the longest
left. So the short notebooks come last and even out the ends, and the kernel pool knows, as
a notebook starts, where the next one runs. How long a notebook runs is what it took in the
last run, kept in pytest's cache (``.pytest_cache``); one never timed counts as its cell
count times the mean seconds per cell of the timed ones (one second a cell if none is).

What runs is unchanged: the same notebooks, each whole on one worker, its cells in order,
each in a fresh kernel. Loaded with ``-p tools.notebook_plan`` beside ``--dist loadscope``
(``make notebooks``); with another ``--dist``, or none, it only records the times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]
from xdist.workermanage import WorkerController  # type: ignore[import-untyped]

CACHE_KEY = "orderkit/notebook-seconds"


def scope_of(nodeid: str) -> str:
    """A cell's notebook: its node id up to the last ``::`` (as loadscope groups them)."""
    return nodeid.rsplit("::", 1)[0]


def estimates(cells: Mapping[str, int], timed: Mapping[str, float]) -> dict[str, float]:
    """Expected seconds of each notebook (``cells``: notebook -> number of cells)."""
    known = {scope: timed[scope] for scope in cells if scope in timed}
    known_cells = sum(cells[scope] for scope in known)
    per_cell = sum(known.values()) / known_cells if known_cells else 1.0
    return {scope: known.get(scope, cells[scope] * per_cell) for scope in cells}


def longest_first(costs: Mapping[str, float]) -> list[str]:
    """The notebooks, longest first; equal ones by name, so the order is always the same."""
    return sorted(costs, key=lambda scope: (-costs[scope], scope))


AHEAD = 2  # notebooks a worker holds: the one it runs, and the next


class PlannedScopeScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """loadscope's bookkeeping, its queue longest first, each worker :data:`AHEAD` deep."""

    collection: list[str] | None  # loadscope's: set once every worker has collected

    def __init__(self, config: pytest.Config, log: Any = None, *, timed: Mapping[str, float]):
        super().__init__(config, log)
        self._timed = dict(timed)

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)  # the same split as loadscope's, and as the times are kept

    def schedule(self) -> None:
        if self.collection is not None or not self._check_nodes_have_same_collection():
            super().schedule()  # a node added later, or collections that differ
            return
        collection: list[str] = list(next(iter(self.registered_collections.values())))
        self.collection = collection
        units: dict[str, dict[str, bool]] = defaultdict(dict)
        for nodeid in collection:
            units[self._split_scope(nodeid)][nodeid] = False
        costs = estimates({scope: len(unit) for scope, unit in units.items()}, self._timed)
        for scope in longest_first(costs):
            self.workqueue[scope] = units[scope]
        nodes: Sequence[WorkerController] = self.nodes
        for _ in range(AHEAD):  # in turns, so that the longest notebooks start at once
            for node in nodes:
                if self.workqueue:
                    self._assign_work_unit(node)
        self._shutdown_when_dealt()

    def _reschedule(self, node: WorkerController) -> None:
        """After each cell: a worker that finished a notebook gets the longest one left."""
        if node.shutting_down:
            return
        held = self.assigned_work.get(node, {}).values()
        if self.workqueue and sum(not all(unit.values()) for unit in held) < AHEAD:
            self._assign_work_unit(node)
        self._shutdown_when_dealt()

    def _shutdown_when_dealt(self) -> None:
        """All dealt out: each worker is told behind its work, so its queue says that
        nothing more comes (the kernel pool then starts no spare after its last one)."""
        if not self.workqueue:
            for node in self.nodes:
                if not node.shutting_down:
                    node.shutdown()


class NotebookTimes:
    """Controller side: keeps how long each notebook ran, and plans the next run with it."""

    def __init__(self, config: pytest.Config) -> None:
        self._cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
        stored = self._cache.get(CACHE_KEY, {}) if self._cache is not None else {}
        # A cache edited by hand, or by another version: only sane times are kept.
        items = stored.items() if isinstance(stored, dict) else ()
        self.timed: dict[str, float] = {
            str(scope): float(seconds)
            for scope, seconds in items
            if isinstance(seconds, (int, float)) and 0 <= seconds < float("inf")
        }
        self._this_run: dict[str, float] = defaultdict(float)

    @pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "loadscope":
            return None
        return PlannedScopeScheduling(config, log, timed=self.timed)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._this_run[scope_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        if self._cache is not None and self._this_run:
            self._cache.set(CACHE_KEY, {**self.timed, **self._this_run})


@pytest.hookimpl(trylast=True)  # after cacheprovider has set config.cache
def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config.pluginmanager.register(NotebookTimes(config), "orderkit-notebook-times")
