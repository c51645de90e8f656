"""A pytest-xdist scheduler that hands each worker its whole list of notebooks at the start.

``--dist loadscope`` keeps each notebook on one worker but deals the notebooks out a few at
a time, in order of cell count. Cell count says little about how long a notebook runs here
(lesson 08 has 17 cells and runs a whole nbval session of its own; lesson 01 has 20 quick
ones), so the two workers could end up to a second apart. And a worker never knows which
notebook comes after the one it runs, so ``tools.kernel_pool`` had to guess the folder of the
next kernel, and started kernels nobody used.

Here, once every worker has collected, the notebooks are split up front, longest first, each
to the worker with the least work so far (LPT scheduling). How long a notebook runs is what
it took in the last run, kept in pytest's cache (``.pytest_cache``); one never timed counts
as its cell count times the mean seconds per cell of the timed ones (as one second a cell
if none is timed). Every worker then gets its whole list and its shutdown at once, so its
queue says what comes next, to the end.

What runs is unchanged: the same notebooks, each whole on one worker, its cells in order,
each in a fresh kernel. Loaded with ``-p tools.notebook_plan`` beside ``--dist loadscope``
(``make notebooks``); with another ``--dist``, or none, it only records the times.
"""

from __future__ import annotations

import heapq
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


def plan(costs: Mapping[str, float], workers: int) -> list[list[str]]:
    """Split notebooks over ``workers``: longest first, each to the least loaded worker.

    Ties go to the lower worker and, between notebooks, to the earlier name, so the same
    costs always give the same plan.
    """
    lists: list[list[str]] = [[] for _ in range(workers)]
    loads = [(0.0, worker) for worker in range(workers)]
    for scope in sorted(costs, key=lambda scope: (-costs[scope], scope)):
        load, worker = heapq.heappop(loads)
        lists[worker].append(scope)
        heapq.heappush(loads, (load + costs[scope], worker))
    return lists


class PlannedScopeScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """loadscope's bookkeeping, with the whole plan sent in the first distribution."""

    collection: list[str] | None  # loadscope's: set once every worker has collected

    def __init__(self, config: pytest.Config, log: Any = None, *, timed: Mapping[str, float]):
        super().__init__(config, log)
        self._timed = dict(timed)

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
        nodes: Sequence[WorkerController] = self.nodes
        for node, scopes in zip(nodes, plan(costs, len(nodes)), strict=True):
            own = self.registered_collections[node]
            self.assigned_work[node] = {scope: units[scope] for scope in scopes}
            indices = [own.index(nodeid) for scope in scopes for nodeid in units[scope]]
            if indices:
                node.send_runtest_some(indices)
            node.shutdown()


class NotebookTimes:
    """Controller side: keeps how long each notebook ran, and plans the next run with it."""

    def __init__(self, config: pytest.Config) -> None:
        self._cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
        stored = self._cache.get(CACHE_KEY, {}) if self._cache is not None else {}
        self.timed: dict[str, float] = stored if isinstance(stored, dict) else {}
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
