"""The race harness in orderkit.concurrency: threads released together, or no threads."""

from __future__ import annotations

import sys
import threading
from unittest.mock import Mock, patch

import pytest

from orderkit import InsufficientStock, InventoryService, OrderService, StockStore
from orderkit.concurrency import (
    NO_THREADS,
    Interleaving,
    ThreadsUnavailable,
    needs_threads,
    run_at_once,
    threads_available,
)
from orderkit.flawed import NaiveOrderService

# --- run_at_once -----------------------------------------------------------------------


def test_run_at_once_returns_results_and_exceptions_in_call_order() -> None:
    outcomes = run_at_once(lambda: 1, lambda: 1 // 0, lambda: 3)

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], ZeroDivisionError)
    assert outcomes[2] == 3


def test_run_at_once_runs_the_calls_at_the_same_time() -> None:
    both_here = threading.Barrier(2, timeout=5)  # run one after the other, this would break

    assert run_at_once(both_here.wait, both_here.wait) in ([0, 1], [1, 0])


def test_run_at_once_gives_up_on_a_call_that_never_returns() -> None:
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match="still running"):
            run_at_once(release.wait, timeout=0.05)
    finally:
        release.set()


# --- Interleaving: the same race without threads ----------------------------------------


def test_interleaving_makes_the_naive_service_oversell_without_threads(store: StockStore) -> None:
    inventory = InventoryService(store=store)
    cut_in = Interleaving()
    naive = NaiveOrderService(inventory, pause=cut_in.pause)

    # Counted, not read from threading.active_count(): an earlier test's thread may still be
    # on its way out.
    with patch.object(threading.Thread, "start", autospec=True) as start:
        outcomes = cut_in.run(lambda: naive.create_order(2, 3), lambda: naive.create_order(2, 3))

    assert [type(outcome).__name__ for outcome in outcomes] == ["dict", "dict"]
    sold = sum(order["quantity"] for order in naive.list_orders())
    assert (sold, inventory.check_stock(2)) == (6, 2)
    start.assert_not_called()  # no thread was started for it


def test_interleaving_lets_every_call_check_before_any_writes() -> None:
    inventory = InventoryService({"LAMP": 10})
    cut_in = Interleaving()
    seen: list[int] = []

    def pause() -> None:
        seen.append(inventory.check_stock("LAMP"))
        cut_in.pause()

    naive = NaiveOrderService(inventory, pause=pause)
    cut_in.run(*[lambda: naive.create_order("LAMP", 1) for _ in range(3)])

    assert seen == [10, 10, 10]
    assert inventory.check_stock("LAMP") == 9  # three sold, two writes lost


def test_interleaving_runs_calls_that_never_pause_one_after_the_other() -> None:
    inventory = InventoryService()
    orders = OrderService(inventory)

    outcomes = Interleaving().run(
        lambda: orders.create_order(2, 3), lambda: orders.create_order(2, 3)
    )

    assert isinstance(outcomes[0], dict)
    assert isinstance(outcomes[1], InsufficientStock)
    assert inventory.check_stock(2) == 2


def test_interleaving_returns_exceptions_as_outcomes_and_can_run_again() -> None:
    cut_in = Interleaving()

    first = cut_in.run(lambda: 1 // 0, lambda: 2)
    second = cut_in.run(lambda: 3)

    assert isinstance(first[0], ZeroDivisionError)
    assert first[1] == 2
    assert second == [3]


# --- without threads (Python in the browser) ---------------------------------------------


def test_threads_are_available_on_cpython_not_in_the_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert threads_available()

    monkeypatch.setattr(sys, "platform", "emscripten")

    assert not threads_available()


def test_needs_threads_runs_the_demo_where_threads_exist() -> None:
    assert needs_threads(lambda: "raced") == "raced"


def test_needs_threads_shows_the_note_instead_of_failing_in_the_browser(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = Mock()
    monkeypatch.setattr(sys, "platform", "emscripten")

    shown = needs_threads(demo)

    assert shown is None
    demo.assert_not_called()
    assert capsys.readouterr().out == NO_THREADS + "\n"


def test_run_at_once_says_why_it_cannot_run_in_the_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "emscripten")

    with pytest.raises(ThreadsUnavailable, match="Python in the browser"):
        run_at_once(lambda: 1)
