"""Helpers that make concurrent calls happen on purpose, so a test can show a race.

None of this is flawed: it is the harness the lessons and exercises use to put a flawed
service (:class:`orderkit.flawed.NaiveOrderService`) or a correct one under concurrent
orders, the same way on every run.

* :func:`run_at_once` runs calls in threads, all released together.
* :class:`Interleaving` forces the same race without threads (Python in the browser,
  Pyodide, has none): its ``pause`` runs the next call inside the first one's pause.
* :func:`needs_threads` runs a demonstration where threads exist and shows
  :data:`NO_THREADS` where they do not; :func:`threads_available` tells which.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from orderkit.errors import OrderkitError

T = TypeVar("T")

NO_THREADS = (
    "This cell needs threads, and Python in the browser (Pyodide) has none, so it does "
    "not run here. The cells without threads show the same race; to see real threads "
    "race, run the kit on your own Python (make lab)."
)
"""The note a cell that needs threads shows where there are none."""


class ThreadsUnavailable(OrderkitError, RuntimeError):
    """This Python cannot start threads (Pyodide in the browser, or WASI)."""

    def __init__(self) -> None:
        super().__init__(NO_THREADS)


def threads_available() -> bool:
    """Whether this Python can start threads: not in the browser (Pyodide) or under WASI."""
    return sys.platform not in ("emscripten", "wasi")


def needs_threads(demo: Callable[[], T]) -> T | None:
    """Run ``demo`` and return what it returns; without threads print :data:`NO_THREADS`.

    For a notebook cell that shows real threads: in the browser it prints the note and
    returns None (so the cell shows no result) instead of failing with
    ``RuntimeError: can't start new thread``.
    """
    if not threads_available():
        print(NO_THREADS)
        return None
    return demo()


def run_at_once(*calls: Callable[[], T], timeout: float = 10.0) -> list[T | Exception]:
    """Run each call in its own thread, all released together; return the outcomes.

    The outcomes are in call order: what each call returned, or the exception it raised
    (so one refused order does not hide what the others did). Raises ``TimeoutError`` if a
    call is still running after ``timeout`` seconds, for instance a barrier that never
    filled; that thread is left to finish on its own. Raises :class:`ThreadsUnavailable`
    where Python has no threads (in the browser): :class:`Interleaving` works there.
    """
    if not threads_available():
        raise ThreadsUnavailable
    start = threading.Barrier(len(calls))
    outcomes: dict[int, T | Exception] = {}

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            start.wait(timeout)
            outcomes[index] = call()
        except Exception as exc:  # the outcome of this call, handed back to the caller
            outcomes[index] = exc

    threads = [
        threading.Thread(target=run, args=(index, call), name=f"run_at_once-{index + 1}")
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"a call was still running after {timeout:g} s")
    return [outcomes[index] for index in range(len(calls))]


class Interleaving:
    """Force a check-then-act race without threads: every call checks before any writes.

    Pass ``pause`` as the service's pause hook, then hand the calls to :meth:`run`::

        cut_in = Interleaving()
        naive = NaiveOrderService(inventory, pause=cut_in.pause)
        cut_in.run(lambda: naive.create_order(2, 3), lambda: naive.create_order(2, 3))

    :meth:`run` starts the first call; when it pauses (after its check, before its write),
    ``pause`` runs the next call right there, as a second customer cutting in would, and so
    on. So every call passes its check before the first one writes, as with
    ``threading.Barrier(n).wait`` and :func:`run_at_once`, but in one thread and the same
    way every time; it works in the browser too. A service that never pauses (the real
    :class:`~orderkit.OrderService` has no gap to pause in) gets its calls one after the
    other.
    """

    def __init__(self) -> None:
        self._waiting: list[tuple[int, Callable[[], object]]] = []
        self._outcomes: list[object] = []

    def pause(self) -> None:
        """The pause hook: run the next waiting call, if any, inside this one's pause."""
        if self._waiting:
            self._call(*self._waiting.pop(0))

    def run(self, *calls: Callable[[], T]) -> list[T | Exception]:
        """Run the calls as described above; return the outcomes in call order.

        Each outcome is what the call returned, or the exception it raised (as with
        :func:`run_at_once`).
        """
        outcomes: list[T | Exception] = []
        self._outcomes = outcomes  # type: ignore[assignment]  # filled by _call
        outcomes.extend([RuntimeError("not run")] * len(calls))
        self._waiting = list(enumerate(calls))
        try:
            while self._waiting:  # a call that never paused leaves the next one to run here
                self._call(*self._waiting.pop(0))
        finally:
            self._waiting = []
        return outcomes

    def _call(self, index: int, call: Callable[[], object]) -> None:
        try:
            self._outcomes[index] = call()
        except Exception as exc:  # the outcome of this call, handed back to the caller
            self._outcomes[index] = exc


__all__ = [
    "NO_THREADS",
    "Interleaving",
    "ThreadsUnavailable",
    "needs_threads",
    "run_at_once",
    "threads_available",
]
