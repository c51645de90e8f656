"""Deliberately buggy code, kept for teaching: each piece has one documented flaw.

Nothing here is part of the kit's public API (``orderkit/__init__.py`` does not export it)
and nothing here should be copied into real code. Each example passes the tests its author
would naturally write (one caller at a time, or a mock built on the author's assumptions)
and fails where only an integration test looks:

* :class:`NaiveOrderService` checks the stock, then writes ``stock - quantity``: a race
  (lost update) that oversells when two orders interleave.
* :func:`order_receipt` assumes ``create_order`` returns an object with ``.id``; the real
  :class:`~orderkit.OrderService` returns a dict, so it raises ``AttributeError``.
* :func:`reorder_list` assumes ``check_stock`` returns ``None`` for an item never stocked;
  the real :class:`~orderkit.InventoryService` returns 0, so the answer is silently wrong.

:func:`run_at_once` is not flawed: it is the small harness that runs calls in threads at
the same time, so a test can show the race. :class:`Interleaving` forces the same race
without threads (Python in the browser, Pyodide, has none): its ``pause`` runs the next
call inside the first one's pause. :func:`needs_threads` runs a demonstration where
threads exist and shows :data:`NO_THREADS` where they do not.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from orderkit.domain import ItemId, Order, check_item_id, check_quantity
from orderkit.errors import InsufficientStock, OrderkitError
from orderkit.inventory import InventoryService

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


class NaiveOrderService:
    """An OrderService that checks, then acts: correct alone, oversells under concurrency.

    ``create_order`` reads the stock with ``check_stock``, refuses if it is short, and
    otherwise writes ``available - quantity`` back with ``set_stock``. One caller at a time,
    it behaves as the tutorial says (order 2 of item 1: stock 8; order 6 of item 2:
    ``InsufficientStock``, stock stays 5).

    FLAW (check-then-act race, a *lost update*): two callers can both read the same level
    before either writes. Both orders pass the check, both are recorded, and the second
    write overwrites the first: with 5 units, two orders of 3 both succeed and the stock
    reads 2, so 6 units were sold out of 5. The real :class:`~orderkit.OrderService` takes
    stock in one atomic step (:meth:`~orderkit.InventoryService.take_for_order`), which
    leaves no gap.

    ``pause`` (default: none) is called between the check and the write. Races are rare
    when left to chance; a test passes ``threading.Barrier(n).wait`` to make every caller
    pass the check before any of them writes, so the race happens every time.

    Orders are kept in this service, not in the store: a store can only record an order
    together with taking its stock (``place_order``), the very step this class leaves out.
    Input is checked as the real service checks it.
    """

    def __init__(
        self, inventory: InventoryService, *, pause: Callable[[], object] | None = None
    ) -> None:
        self._inventory = inventory
        self._pause = pause
        self._orders: list[Order] = []
        # Guards the order list only, so order ids stay unique: the one flaw is the stock.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"NaiveOrderService({self._inventory!r})"

    @property
    def inventory(self) -> InventoryService:
        """The inventory this service reads and writes."""
        return self._inventory

    def create_order(self, item_id: ItemId, quantity: int) -> Order:
        """Check the stock, then take it in a separate write; return the order."""
        item_id, quantity = check_item_id(item_id), check_quantity(quantity)
        available = self._inventory.check_stock(item_id)  # check ...
        if available < quantity:
            raise InsufficientStock(item_id, quantity, available)
        if self._pause is not None:
            self._pause()
        self._inventory.set_stock(item_id, available - quantity)  # ... then act: the race
        with self._lock:
            order: Order = {
                "order_id": len(self._orders) + 1,
                "item_id": item_id,
                "quantity": quantity,
            }
            self._orders.append(order)
        return order.copy()

    def list_orders(self) -> list[Order]:
        """Return the orders this service created, oldest first."""
        with self._lock:
            return [order.copy() for order in self._orders]


class PlacedOrder(Protocol):
    """What :func:`order_receipt`'s author believed ``create_order`` returns."""

    @property
    def id(self) -> int: ...

    @property
    def item_id(self) -> ItemId: ...

    @property
    def quantity(self) -> int: ...


class AssumedOrderService(Protocol):
    """The order service :func:`order_receipt` was written against (not the real one)."""

    def create_order(self, item_id: ItemId, quantity: int) -> PlacedOrder: ...


def order_receipt(orders: AssumedOrderService, item_id: ItemId, quantity: int) -> str:
    """Place an order and return a receipt line such as ``"Order #1: 2 x item 1"``.

    FLAW (contract mismatch): it reads ``order.id``, ``order.quantity`` and
    ``order.item_id``, but the real :meth:`~orderkit.OrderService.create_order` returns a
    dict ``{"order_id", "item_id", "quantity"}``. A unit test whose mock returns an object
    with those attributes passes (even ``create_autospec(OrderService)``, which checks
    method names and arguments, never return values); against the real service it raises
    ``AttributeError: 'dict' object has no attribute 'id'``, after the order was placed and
    its stock taken. A type checker would flag the real service as an argument here, but
    only where the calling code is type-checked.
    """
    order = orders.create_order(item_id, quantity)
    return f"Order #{order.id}: {order.quantity} x item {order.item_id}"


class AssumedInventory(Protocol):
    """The inventory :func:`reorder_list` was written against (not the real one)."""

    def check_stock(self, item_id: ItemId) -> int | None: ...


def reorder_list(inventory: AssumedInventory, item_ids: Iterable[ItemId]) -> list[ItemId]:
    """Return the sold-out items among ``item_ids``, skipping items the shop never stocked.

    FLAW (contract mismatch, no error raised): it assumes ``check_stock`` returns ``None``
    for an item never stocked, but the real
    :meth:`~orderkit.InventoryService.check_stock` returns 0, as the tutorial's does. So an
    item the shop never carried (``"SOFA"``) lands on the reorder list: a wrong answer, not
    an exception. Types do not catch it either: a method returning ``int`` satisfies
    ``int | None``. For items that were stocked the answer is right.
    """
    sold_out: list[ItemId] = []
    for item_id in item_ids:
        level = inventory.check_stock(item_id)
        if level is None:  # never stocked: not ours to reorder
            continue
        if level == 0:
            sold_out.append(item_id)
    return sold_out


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
