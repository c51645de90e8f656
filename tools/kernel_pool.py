"""A pytest plugin that starts the next notebook's kernel while nbval runs the current one.

nbval starts a fresh kernel for every notebook and waits for it (~0.5 s, about half of it
idle: jupyter_client waits 0.2 s for stray IOPub messages, then nbval checks IOPub), and
stops it afterwards (~0.1 s, polling for the process to end). Here each kernel is started
one notebook ahead, in a thread, and stopped in a thread, so both waits overlap the cells
of another notebook.

The spare is started in the folder of the notebook that is running, the likeliest folder of
the next one; when the last cell of a notebook runs, pytest knows which notebook comes next,
and a spare for another folder is swapped for one in the right folder (or dropped when
nothing comes next).

Every notebook still gets its own fresh kernel, started as nbval starts it (nbval's
``start_new_kernel``, same kernel name, folder and timeout, then its IOPub check). Loaded
with ``-p tools.kernel_pool`` (``make notebooks``); it replaces
``nbval.plugin.RunningKernel`` for this process only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable

import pytest
from nbval import plugin as nbval_plugin  # type: ignore[import-untyped]
from nbval.kernel import RunningKernel, start_new_kernel  # type: ignore[import-untyped]

_Key = tuple[str, "str | None", float]


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
    """nbval's ``RunningKernel``, started as nbval starts it; ``stop()`` ends it in a thread.

    It also closes the ``/dev/null`` it sends the kernel's stderr to (nbval leaves its own
    open, which is harmless only as long as nothing collects the kernel object).
    """

    def __init__(self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60):
        self._stderr = open(os.devnull, "w")  # noqa: SIM115 - closed in _stop_now
        self.stopping: threading.Thread | None = None
        try:
            self.km, self.kc = start_new_kernel(
                startup_timeout=startup_timeout,
                kernel_name=kernel_name,
                stderr=self._stderr,
                cwd=cwd,
            )
            self._ensure_iopub_up()
        except BaseException:
            self._stderr.close()
            raise

    def stop(self) -> None:
        """What nbval calls after a notebook (or a cell timing out): returns at once."""
        if self.stopping is None:
            self.stopping = _thread(self._stop_now, "nbval-stop")

    def _stop_now(self) -> None:
        with contextlib.suppress(Exception):  # a kernel that cannot be stopped is gone
            super().stop()
        self._stderr.close()

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
            self._kernel = PooledKernel(name, cwd=cwd, startup_timeout=timeout)
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
        self._handed_out: list[PooledKernel] = []
        self._dropping: list[threading.Thread] = []

    def __call__(
        self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60
    ) -> PooledKernel:
        key: _Key = (kernel_name, cwd, startup_timeout)
        self.expect(key)
        spare, self._spare = self._spare, None
        kernel = spare.take() if spare is not None else PooledKernel(*key)
        self._spare = _Spare(key)  # the next notebook most likely sits beside this one
        self._handed_out.append(kernel)
        return kernel

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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before a notebook's last cell: the spare should fit the notebook that comes next."""
    if not isinstance(item, nbval_plugin.IPyNbCell) or nbval_plugin.RunningKernel is not _POOL:
        return
    if nextitem is not None and nextitem.parent is item.parent:
        return  # not the last cell
    if _POOL._spare is None:
        return
    if isinstance(nextitem, nbval_plugin.IPyNbCell):
        name, _, timeout = _POOL._spare.key
        _POOL.expect((name, str(nextitem.parent.fspath.dirname), timeout))  # as nbval's cwd
    else:
        _POOL.expect(None)


@pytest.hookimpl(tryfirst=True)  # before pytest reports objects left unclosed
def pytest_unconfigure(config: pytest.Config) -> None:
    _POOL.close()
    nbval_plugin.RunningKernel = RunningKernel
