"""How ``tools.notebook_plan`` splits the notebooks over xdist workers (its pure parts).

The whole plugin, with workers, kernels and pytest's cache, runs in
``test_nbval_speedups.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tools/ holds scripts and `make notebooks`'s plugins, not a package: imported from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from notebook_plan import estimates, plan, scope_of


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


def test_the_longest_notebooks_go_first_each_to_the_least_loaded_worker() -> None:
    costs = {"long": 2.4, "mid": 1.6, "short-1": 0.9, "short-2": 0.8, "short-3": 0.7}

    # long 2.4 / mid 1.6; short-1 to mid (2.5); short-2 to long (3.2); short-3 to mid (3.2)
    assert plan(costs, 2) == [["long", "short-2"], ["mid", "short-1", "short-3"]]


def test_the_plan_beats_dealing_by_cell_count_when_cells_say_little() -> None:
    # As the lessons: the slowest notebook has few cells, the quickest many.
    cells = {"slow": 17, "a": 20, "b": 19, "c": 18, "d": 16, "e": 16}
    seconds = {"slow": 2.3, "a": 0.4, "b": 1.9, "c": 0.8, "d": 0.7, "e": 0.5}

    loads = [sum(seconds[n] for n in worker) for worker in plan(estimates(cells, seconds), 2)]

    assert max(loads) - min(loads) <= 0.2
    assert sorted(n for worker in plan(seconds, 2) for n in worker) == sorted(cells)


def test_every_notebook_is_planned_once_even_with_more_workers_than_notebooks() -> None:
    lists = plan({"a": 1.0, "b": 1.0}, 4)

    assert sorted(n for worker in lists for n in worker) == ["a", "b"]
    assert len(lists) == 4
    assert sum(1 for worker in lists if not worker) == 2


def test_equal_costs_give_the_same_plan_every_time() -> None:
    costs = {name: 1.0 for name in "edcba"}

    assert (
        plan(costs, 2)
        == plan(dict(reversed(costs.items())), 2)
        == [
            ["a", "c", "e"],
            ["b", "d"],
        ]
    )
