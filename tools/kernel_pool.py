"""A pytest plugin that starts the next notebook's kernel while nbval runs the current one.

nbval starts a fresh kernel for every notebook and waits for it (~0.5 s, about half of it
idle: jupyter_client waits 0.2 s for stray IOPub messages, then nbval checks IOPub), and
stops it afterwards (~0.1 s, polling for the process to end). Here each kernel is started
one notebook ahead, in a thread, in the folder the current notebook runs in, and stopped in
a thread, so both waits overlap the cells of another notebook.

Every notebook still gets its own fresh kernel, started as nbval starts it (nbval's
``start_new_kernel``, same kernel name, folder and timeout, then its IOPub check); a spare
that does not fit the next notebook (another folder) is stopped and a kernel started the
usual way. Loaded with ``-p tools.kernel_pool`` (``make notebooks``); it replaces
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

    def __call__(
        self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60
    ) -> PooledKernel:
        key: _Key = (kernel_name, cwd, startup_timeout)
        spare, self._spare = self._spare, None
        if spare is not None and spare.key == key:
            kernel = spare.take()
        else:
            if spare is not None:
                spare.discard()
            kernel = PooledKernel(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
        self._spare = _Spare(key)
        self._handed_out.append(kernel)
        return kernel

    def close(self) -> None:
        """Stop the spare, and wait until every kernel handed out has stopped."""
        if self._spare is not None:
            self._spare.discard()
            self._spare = None
        for kernel in self._handed_out:
            kernel.wait_stopped()
        self._handed_out.clear()


_POOL = KernelPool()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("nbval", False) or config.getoption("nbval_lax", False):
        nbval_plugin.RunningKernel = _POOL


@pytest.hookimpl(tryfirst=True)  # before pytest reports objects left unclosed
def pytest_unconfigure(config: pytest.Config) -> None:
    _POOL.close()
    nbval_plugin.RunningKernel = RunningKernel
