"""A pytest plugin that starts the next notebook's kernel while nbval runs the current one.

nbval starts a fresh kernel for every notebook and waits for it (~0.5 s, about half of it
idle: jupyter_client waits 0.2 s for stray IOPub messages, then nbval checks IOPub), and
stops it afterwards (~0.1 s, polling for the process to end). Here each kernel is started
one notebook ahead, in a thread, in the folder the current notebook ran in, and stopped in
a thread, so both waits overlap the cells of another notebook.

Every notebook still gets its own fresh kernel, started exactly as nbval starts it
(``RunningKernel``, same name, folder and timeout); a spare that does not fit the next
notebook (another folder) is stopped and a kernel started the usual way. Loaded with
``-p tools.kernel_pool`` (``make notebooks``); it replaces ``nbval.plugin.RunningKernel``
for this process only.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from nbval import plugin as nbval_plugin  # type: ignore[import-untyped]
from nbval.kernel import RunningKernel  # type: ignore[import-untyped]

_Key = tuple[str, "str | None", float]


class _Spare:
    """A kernel being started in a thread, for the notebook that will want it."""

    def __init__(self, key: _Key) -> None:
        self.key = key
        self._kernel: RunningKernel | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="nbval-spare", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        name, cwd, timeout = self.key
        try:
            self._kernel = RunningKernel(name, cwd=cwd, startup_timeout=timeout)
        except BaseException as error:  # handed to the notebook that takes this kernel
            self._error = error

    def take(self) -> RunningKernel:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._kernel is not None
        return self._kernel

    def discard(self) -> None:
        self._thread.join()
        if self._kernel is not None:
            _stop(self._kernel)


def _stop(kernel: RunningKernel) -> None:
    """``RunningKernel.stop`` without raising: the kernel may be dead already."""
    with contextlib.suppress(Exception):  # a kernel that cannot be stopped is gone
        kernel.stop()


class _BackgroundStop:
    """A ``RunningKernel`` whose ``stop()`` returns at once and finishes in a thread."""

    def __init__(self, kernel: RunningKernel, stopping: list[threading.Thread]) -> None:
        self._kernel = kernel
        self._stopping = stopping

    def stop(self) -> None:
        thread = threading.Thread(target=_stop, args=(self._kernel,), name="nbval-stop")
        thread.start()
        self._stopping.append(thread)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kernel, name)


class KernelPool:
    """What nbval calls instead of ``RunningKernel(...)``: one spare kernel, kept ahead."""

    def __init__(self) -> None:
        self._spare: _Spare | None = None
        self._stopping: list[threading.Thread] = []

    def __call__(
        self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60
    ) -> _BackgroundStop:
        key: _Key = (kernel_name, cwd, startup_timeout)
        spare, self._spare = self._spare, None
        if spare is not None and spare.key == key:
            kernel = spare.take()
        else:
            if spare is not None:
                spare.discard()
            kernel = RunningKernel(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
        self._spare = _Spare(key)
        return _BackgroundStop(kernel, self._stopping)

    def close(self) -> None:
        """Stop the spare and wait for every kernel to be stopped."""
        if self._spare is not None:
            self._spare.discard()
            self._spare = None
        for thread in self._stopping:
            thread.join()
        self._stopping.clear()


_POOL = KernelPool()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("nbval", False) or config.getoption("nbval_lax", False):
        nbval_plugin.RunningKernel = _POOL


def pytest_unconfigure(config: pytest.Config) -> None:
    _POOL.close()
    nbval_plugin.RunningKernel = RunningKernel
