"""How ``tools.notebook_plan`` deals the notebooks out to xdist workers.

The scheduler runs here as xdist's controller drives it (collections in, then one
``mark_test_complete`` per finished cell), with workers that take the time they are given.
The whole plugin, with real workers, kernels and pytest's cache, runs in
``test_nbval_speedups.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from notebook_plan import (
    CACHE_KEY,
    NotebookTimes,
    PlannedScopeScheduling,
    estimates,
    longest_first,
    scope_of,
)


def test_a_cell_belongs_to_its_notebook() -> None:
    assert scope_of("notebooks/04-integration-tests.ipynb::Cell 12") == (
        "notebooks/04-integration-tests.ipynb"
    )


def test_a_timed_notebook_is_expected_to_take_what_it_took() -> None:
    assert estimates({"a": 5, "b": 40}, {"a": 2.5, "b": 0.4}) == {"a": 2.5, "b": 0.4}


def test_an_untimed_notebook_counts_its_cells_at_the_mean_of_the_timed_ones() -> None:
    costs = estimates({"a": 10, "b": 30, "new": 8}, {"a": 1.0, "b": 3.0, "gone": 50.0})

    assert costs["new"] == pytest.approx(8 * (1.0 + 3.0) / (10 + 30))


def test_with_nothing_timed_a_notebook_counts_one_second_a_cell() -> None:
    assert estimates({"a": 3, "b": 7}, {}) == {"a": 3.0, "b": 7.0}


def test_equal_costs_keep_one_order_whatever_order_they_come_in() -> None:
    costs = {"b": 1.0, "long": 3.0, "a": 1.0}

    assert longest_first(costs) == longest_first(dict(reversed(costs.items())))
    assert longest_first(costs) == ["long", "a", "b"]


@dataclass(eq=False)
class Worker:
    """What the scheduler sees of an xdist worker, and what a worker knows of its queue."""

    name: str
    queue: list[int] = field(default_factory=list)
    shutting_down: bool = False
    # For each notebook started: did the queue already hold the next one, or its end?
    knew_next: list[bool] = field(default_factory=list)

    @property
    def gateway(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutting_down, "no work after the shutdown"
        self.queue += indices

    def shutdown(self) -> None:
        self.shutting_down = True


def run(cells: dict[str, int], seconds: dict[str, float], timed: dict[str, float]) -> Any:
    """Run the notebooks on two workers; ``seconds``: how long each really takes."""
    collection = [f"{nb}::Cell {i}" for nb in cells for i in range(cells[nb])]
    config = SimpleNamespace(getvalue=lambda name: ["2*popen"], option=SimpleNamespace())
    scheduler = PlannedScopeScheduling(config, timed=timed)  # type: ignore[arg-type]
    workers = [Worker("gw0"), Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
    for worker in workers:
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()

    clock = {worker.name: 0.0 for worker in workers}
    ran: dict[str, list[str]] = {worker.name: [] for worker in workers}
    while any(worker.queue for worker in workers):
        worker = min((w for w in workers if w.queue), key=lambda w: clock[w.name])
        nodeid = collection[worker.queue.pop(0)]
        notebook = scope_of(nodeid)
        if not ran[worker.name] or ran[worker.name][-1] != notebook:  # a notebook starts
            ran[worker.name].append(notebook)
            rest = {scope_of(collection[i]) for i in worker.queue} - {notebook}
            worker.knew_next.append(bool(rest) or worker.shutting_down)
        clock[worker.name] += seconds[notebook] / cells[notebook]
        scheduler.mark_test_complete(worker, collection.index(nodeid))
    assert all(worker.shutting_down for worker in workers)
    return SimpleNamespace(ran=ran, clock=clock, workers=workers, scheduler=scheduler)


# As the lessons: the slowest notebooks have few cells, the quickest many.
CELLS = {"08": 17, "07": 19, "11": 8, "10": 11, "05": 16, "03": 18, "04": 16, "00": 10}
CELLS |= {"06": 16, "02": 10, "01": 20}
SECONDS = {"08": 2.2, "07": 2.0, "11": 1.6, "10": 0.9, "05": 0.8, "03": 0.8, "04": 0.75}
SECONDS |= {"00": 0.6, "06": 0.6, "02": 0.45, "01": 0.35}


def test_every_notebook_runs_once_whole_on_one_worker_in_order() -> None:
    done = run(CELLS, SECONDS, SECONDS)

    notebooks = [notebook for worker in done.ran.values() for notebook in worker]
    assert sorted(notebooks) == sorted(CELLS)
    assert not done.scheduler.has_pending


def test_the_longest_notebooks_start_first_and_the_ends_even_out() -> None:
    done = run(CELLS, SECONDS, SECONDS)

    assert {done.ran["gw0"][0], done.ran["gw1"][0]} == {"08", "07"}
    assert abs(done.clock["gw0"] - done.clock["gw1"]) <= min(SECONDS.values())


def test_times_that_were_off_still_end_close_together() -> None:
    # The last run's times are no promise: here each notebook takes longer or shorter.
    actual = {nb: s * (1.4 if i % 2 else 0.7) for i, (nb, s) in enumerate(SECONDS.items())}

    done = run(CELLS, actual, SECONDS)

    assert abs(done.clock["gw0"] - done.clock["gw1"]) <= max(actual.values()) / 2


def test_a_worker_always_knows_what_comes_after_the_notebook_it_starts() -> None:
    done = run(CELLS, SECONDS, SECONDS)

    for worker in done.workers:
        assert all(worker.knew_next), worker.name


def test_dealing_by_cell_count_when_nothing_is_timed_still_runs_everything() -> None:
    done = run(CELLS, SECONDS, {})

    assert sorted(nb for worker in done.ran.values() for nb in worker) == sorted(CELLS)
    assert {done.ran["gw0"][0], done.ran["gw1"][0]} == {"01", "07"}  # the most cells


def test_a_cache_that_holds_junk_plans_from_the_sane_times_only() -> None:
    stored = {"a": 1.5, "b": "slow", "c": None, "d": -1, "e": float("nan"), "f": 2}
    cache = SimpleNamespace(get=lambda key, default: stored if key == CACHE_KEY else default)

    times = NotebookTimes(SimpleNamespace(cache=cache))  # type: ignore[arg-type]

    assert times.timed == {"a": 1.5, "f": 2.0}
