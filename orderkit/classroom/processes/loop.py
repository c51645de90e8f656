"""The one loop that runs children: at most ``jobs`` at once, each until it ends or its deadline.

``check()`` runs a student's tests once per implementation in children forked from the
kernel; the batch runs every submission's schedule in clean sandboxed children. Both hand
this loop a queue, a way to start a child for an item and what to do when one is over.
The loop waits on the children's descriptors until the soonest deadline, never polling.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Protocol, TypeVar


class Child(Protocol):
    """A started child process, as the loop sees it."""

    @property
    def sentinel(self) -> int:
        """A descriptor that becomes readable when the child reports or ends."""
        ...

    @property
    def deadline(self) -> float:
        """The :func:`time.monotonic` time past which the child is overdue."""
        ...

    def take(self) -> bool:
        """Take what is readable now; True once the child is over."""
        ...


Item = TypeVar("Item")
Started = TypeVar("Started", bound=Child)


def run(
    queue: deque[Item],
    start: Callable[[Item], Started | None],
    ended: Callable[[Item, Started, bool], None],
    jobs: int,
) -> None:
    """Run a child per item of ``queue``, at most ``jobs`` at once, until all are over.

    ``start`` may return None for an item that needs no child. ``ended(item, child, late)``
    hears of each child once: over, or ``late`` (past its deadline and still running: then
    it is ``ended``'s to stop). It may add items to ``queue``, at either end.
    """
    running: dict[int, tuple[Item, Started]] = {}
    while queue or running:
        while queue and len(running) < max(1, jobs):
            item = queue.popleft()
            child = start(item)
            if child is not None:
                running[child.sentinel] = (item, child)
        if not running:
            continue
        soonest = min(child.deadline for _, child in running.values())
        ready = set(wait(list(running), timeout=max(0.0, soonest - time.monotonic())))
        now = time.monotonic()
        for sentinel, (item, child) in list(running.items()):
            over = sentinel in ready and child.take()
            if not over and now <= child.deadline:
                continue
            del running[sentinel]
            ended(item, child, not over)
