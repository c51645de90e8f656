"""A pytest plugin that starts the next notebook's kernel while nbval runs the current one.

nbval starts a fresh kernel for every notebook and waits for it (~0.5 s, about half of it
idle: jupyter_client waits 0.2 s for stray IOPub messages, then nbval checks IOPub), and
stops it afterwards (~0.1 s, polling for the process to end). Here each kernel is started
one notebook ahead, in a thread, and stopped in a thread (waiting on the process, not
polling), so both waits overlap the cells of another notebook. The first notebook's kernel
and the spare start together.

When a notebook starts, the spare is started in the folder of the notebook that comes after
it: the next one in pytest's list, or in an xdist worker's queue. Nothing comes after it: no
spare. A queue that does not say yet (the next notebook is sent as the previous one ends,
with ``--dist loadscope``): the second cell looks again, else the spare is started beside
the running notebook, the likeliest folder; at the last cell pytest knows which notebook
comes next, and a spare for another folder is swapped for one in the right folder (or
dropped).

Every notebook still gets its own fresh kernel, started as nbval starts it (nbval's kernel
spec manager, same kernel name, folder and timeout, a kernel_info answer, then nbval's IOPub
check), less jupyter_client's final 0.2 s wait for IOPub to fall silent. Loaded with ``-p
tools.kernel_pool`` (``make notebooks``); it replaces ``nbval.plugin.RunningKernel`` for
this process only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from nbval import kernel as nbval_kernel  # type: ignore[import-untyped]
from nbval import plugin as nbval_plugin
from nbval.kernel import (  # type: ignore[import-untyped]
    NbvalKernelspecManager,
    RunningKernel,
)

_Key = tuple[str, "str | None", float]
_UNKNOWN = "unknown"  # what comes after a notebook, when the queue does not say yet


def _thread(work: Callable[[], None], name: str) -> threading.Thread:
    """Run ``work`` in a new thread, then close the event loop jupyter_client made for it.

    jupyter_client's blocking calls run on a per-thread asyncio loop that nobody closes; left
    to the garbage collector, it is an "unclosed event loop" warning (an error here).
    """

    def run() -> None:
        try:
            work()
        finally:
            with contextlib.suppress(RuntimeError):  # no loop was made
                asyncio.get_event_loop_policy().get_event_loop().close()
            asyncio.set_event_loop(None)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


class PooledKernel(RunningKernel):  # type: ignore[misc]
    """nbval's ``RunningKernel``, started as nbval starts it (see the top); ``stop()`` ends it
    in a thread.

    It also closes the ``/dev/null`` it sends the kernel's stderr to (nbval leaves its own
    open, which is harmless only as long as nothing collects the kernel object).
    """

    def __init__(
        self,
        kernel_name: str,
        cwd: str | None = None,
        startup_timeout: float = 60,
    ):
        self._stderr = open(os.devnull, "w")  # noqa: SIM115 - closed in _stop_now
        self.stopping: threading.Thread | None = None
        self.km = KernelManager(
            kernel_name=kernel_name, kernel_spec_manager=NbvalKernelspecManager()
        )
        try:
            self.km.start_kernel(stderr=self._stderr, cwd=cwd)
            self.kc = self.km.client()
            self.kc.start_channels()
            self._wait_for_kernel_info(startup_timeout)
            self._ensure_iopub_up()  # nbval's: its kernel_info's idle comes on IOPub
        except BaseException:
            self._stop_now()
            raise

    def _wait_for_kernel_info(self, timeout: float) -> None:
        """Wait until the kernel answers on shell and IOPub is connected, as nbval's start does.

        nbval starts a kernel with jupyter_client's ``wait_for_ready``: it asks kernel_info
        until a reply comes and then an IOPub message within 0.2 s (IOPub connects only
        after a while, and an idle status sent before that is lost), and it ends by waiting
        0.2 s more for IOPub to fall silent, to drop stray messages. That last wait is left
        out here: nbval reads only the messages of its own requests (it matches each
        message's parent), and its own IOPub check follows. 0.2 s off each kernel start,
        and off the critical path at the start of each worker.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.kc.kernel_info()
            try:
                reply = self.kc.get_shell_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:
                        self.kc.get_iopub_msg(timeout=0.2)
                    except Empty:
                        pass  # IOPub not connected yet: ask again
                    else:
                        return
            if not self.km.is_alive():
                raise RuntimeError("The kernel died before it answered kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"The kernel did not answer kernel_info in {timeout} s")

    def get_message(self, stream: str, timeout: float | None = None) -> dict[str, Any]:
        """nbval's, without pretty-printing every message for a debug log that is off.

        nbval formats each message with ``pformat`` before ``logger.debug`` drops it: ~0.3 ms
        a message, ~0.4 s of a validation run. With debug logging on, nbval's own runs.
        """
        if nbval_kernel.logger.isEnabledFor(logging.DEBUG):
            return super().get_message(stream, timeout)  # type: ignore[no-any-return]
        if stream == "iopub":
            return self.kc.get_iopub_msg(timeout=timeout)
        if stream == "shell":
            return self.kc.get_shell_msg(timeout=timeout)
        raise ValueError(f'Invalid stream specified: "{stream}"')

    def stop(self) -> None:
        """What nbval calls after a notebook (or a cell timing out): returns at once."""
        if self.stopping is None:
            self.stopping = _thread(self._stop_now, "nbval-stop")

    def _stop_now(self) -> None:
        with contextlib.suppress(Exception):  # a kernel that cannot be stopped is gone
            self._kill()
            super().stop()
        self._stderr.close()

    def _kill(self) -> None:
        """Kill the kernel process and wait for its end, before nbval's stop.

        nbval's stop (``shutdown_kernel(now=True)``) kills it too, then looks every 0.1 s
        whether it has ended: ~0.11 s a stop, the last one of each worker at the end of the
        run. Waiting on the process itself takes ~0.015 s; nbval's stop then finds it gone,
        and still kills the kernel's process group and cleans up.
        """
        process = getattr(self.km.provisioner, "process", None)
        if process is not None:
            process.kill()
            process.wait(timeout=5)

    def wait_stopped(self) -> None:
        self.stop()
        assert self.stopping is not None
        self.stopping.join()


class _Spare:
    """A kernel being started in a thread, for the notebook that will want it."""

    def __init__(self, key: _Key) -> None:
        self.key = key
        self._kernel: PooledKernel | None = None
        self._error: BaseException | None = None
        self._thread = _thread(self._start, "nbval-spare")

    def _start(self) -> None:
        name, cwd, timeout = self.key
        try:
            self._kernel = PooledKernel(name, cwd, timeout)
        except BaseException as error:  # handed to the notebook that takes this kernel
            self._error = error

    def take(self) -> PooledKernel:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._kernel is not None
        return self._kernel

    def discard(self) -> None:
        self._thread.join()
        if self._kernel is not None:
            self._kernel.wait_stopped()


class KernelPool:
    """What nbval calls instead of ``RunningKernel(...)``: one spare kernel, kept ahead."""

    def __init__(self) -> None:
        self._spare: _Spare | None = None
        # The folder of the notebook after the one that asks next; None: none comes after it.
        self.after: str | None = _UNKNOWN
        self.current: pytest.Collector | None = None  # the notebook whose cells run
        self.last_key: _Key | None = None  # of the kernel handed out last
        self._handed_out: list[PooledKernel] = []
        self._dropping: list[threading.Thread] = []

    def __call__(
        self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60
    ) -> PooledKernel:
        key: _Key = (kernel_name, cwd, startup_timeout)
        self.last_key = key
        self.expect(key)
        spare, self._spare = self._spare, None
        if spare is None:  # the first notebook: its kernel and the spare start together,
            spare = _Spare(key)  # so one boots while the other waits (the top)
        if self.after != _UNKNOWN:  # otherwise decided at the notebook's second cell
            self.start_spare()
        kernel = spare.take()
        self._handed_out.append(kernel)
        return kernel

    def start_spare(self) -> None:
        """Start the spare for the notebook after this one (beside it, if still unknown)."""
        assert self.last_key is not None
        name, cwd, timeout = self.last_key
        folder = cwd if self.after == _UNKNOWN else self.after
        self.expect(None if folder is None else (name, folder, timeout))

    def expect(self, key: _Key | None) -> None:
        """The next kernel wanted is ``key`` (None: no more): keep, swap or drop the spare."""
        if self._spare is not None and self._spare.key == key:
            return
        if self._spare is not None:
            self._dropping.append(_thread(self._spare.discard, "nbval-drop"))
        self._spare = _Spare(key) if key is not None else None

    def close(self) -> None:
        """Stop the spare, and wait until every kernel handed out has stopped."""
        self.expect(None)
        for thread in self._dropping:
            thread.join()
        for kernel in self._handed_out:
            kernel.wait_stopped()
        self._dropping.clear()
        self._handed_out.clear()


_POOL = KernelPool()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("nbval", False) or config.getoption("nbval_lax", False):
        nbval_plugin.RunningKernel = _POOL


def _folder(cell: Any) -> str:
    """The folder a notebook cell's kernel runs in, as nbval gives it (``cwd``)."""
    return str(cell.parent.fspath.dirname)


def _upcoming(item: pytest.Item) -> tuple[list[pytest.Item], bool]:
    """The items that run after ``item``, and whether that list is complete.

    In an xdist worker, its queue so far: the index of the next item, then the queue; the
    shutdown marker (not an index) ends it. The worker runs xdist's ``remote.py`` as a
    script, not as ``xdist.remote``, so its classes are found by what they hold.
    """
    items = item.session.items
    for plugin in item.config.pluginmanager.get_plugins():
        if hasattr(plugin, "torun") and hasattr(plugin, "nextitem_index"):
            with plugin.torun.lock() as queue:
                indices = [plugin.nextitem_index, *queue]
            queued = list(itertools.takewhile(lambda index: isinstance(index, int), indices))
            return [items[index] for index in queued], len(queued) < len(indices)
    return items[items.index(item) + 1 :], True


def _after(item: pytest.Item, nextitem: pytest.Item | None) -> str | None:
    """The folder of the first notebook that runs after ``item``'s (None: none does)."""
    if nextitem is None or nextitem.parent is not item.parent:  # the last cell: pytest knows
        return _folder(nextitem) if isinstance(nextitem, nbval_plugin.IPyNbCell) else None
    upcoming, complete = _upcoming(item)
    for later in upcoming:
        if later.parent is not item.parent:
            return _folder(later) if isinstance(later, nbval_plugin.IPyNbCell) else None
    return None if complete else _UNKNOWN


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Where the notebook after this one runs: at its first cell, then as soon as known.

    At the first cell, nbval is about to ask for the notebook's kernel, and the pool starts
    the spare as it hands that kernel out. If the queue does not say yet, the second cell
    looks again (what the controller sends as a notebook ends has most likely come), and
    else guesses this notebook's folder. At the last cell, pytest knows the next item.
    """
    if not isinstance(item, nbval_plugin.IPyNbCell) or nbval_plugin.RunningKernel is not _POOL:
        return
    if _POOL.current is not item.parent:
        _POOL.current = item.parent
        _POOL.after = _after(item, nextitem)
        return
    last = nextitem is None or nextitem.parent is not item.parent
    if _POOL.last_key is not None and (last or _POOL.after == _UNKNOWN):
        _POOL.after = _after(item, nextitem)
        _POOL.start_spare()


@pytest.hookimpl(tryfirst=True)  # before pytest reports objects left unclosed
def pytest_unconfigure(config: pytest.Config) -> None:
    _POOL.close()
    nbval_plugin.RunningKernel = RunningKernel
