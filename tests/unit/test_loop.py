"""The one loop that runs children (:mod:`orderkit.classroom.processes.loop`), with pipes
standing in for child processes: a pipe's write end is what the child would hold."""

from __future__ import annotations

import os
import time
from collections import deque

from orderkit.classroom.processes import loop


class _Piped:
    """A stand-in child: over once its other end writes ``end``."""

    def __init__(self, name: str, seconds: float = 5.0) -> None:
        self.name = name
        self.read_end, self.write_end = os.pipe()
        self.deadline = time.monotonic() + seconds
        self.seen = b""

    @property
    def sentinel(self) -> int:
        return self.read_end

    def take(self) -> bool:
        self.seen += os.read(self.read_end, 100)
        return self.seen.endswith(b"end")

    def finish(self) -> None:
        os.write(self.write_end, b"end")

    def close(self) -> None:
        os.close(self.read_end)
        os.close(self.write_end)


def test_no_more_than_jobs_children_run_at_once_and_each_ends_once() -> None:
    running: list[_Piped] = []
    most = 0
    ended: list[tuple[str, bool]] = []

    def start(name: str) -> _Piped:
        nonlocal most
        child = _Piped(name)
        running.append(child)
        most = max(most, len(running))
        running[0].finish()  # the oldest one ends as soon as another starts or is waited on
        return child

    def end(name: str, child: _Piped, late: bool) -> None:
        running.remove(child)
        child.close()
        ended.append((name, late))
        if running:
            running[0].finish()

    loop.run(deque("abcde"), start, end, jobs=2)

    assert most == 2
    assert sorted(ended) == [(n, False) for n in "abcde"]


def test_a_child_past_its_deadline_is_handed_over_as_late() -> None:
    ended: list[tuple[str, bool]] = []

    def end(name: str, child: _Piped, late: bool) -> None:
        child.close()
        ended.append((name, late))

    began = time.monotonic()
    loop.run(deque(["slow"]), lambda name: _Piped(name, seconds=0.2), end, jobs=1)

    assert ended == [("slow", True)]
    assert time.monotonic() - began < 5  # woken by the deadline, not by a fixed wait


def test_what_ended_adds_runs_too_and_start_may_skip_an_item() -> None:
    ended: list[str] = []
    queue = deque(["first", "skip"])

    def start(name: str) -> _Piped | None:
        if name == "skip":
            return None
        child = _Piped(name)
        child.finish()
        return child

    def end(name: str, child: _Piped, late: bool) -> None:
        child.close()
        ended.append(name)
        if name == "first":
            queue.appendleft("second")

    loop.run(queue, start, end, jobs=3)

    assert ended == ["first", "second"]
