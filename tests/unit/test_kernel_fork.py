"""Kernels forked from the zygote (``tools/kernel_fork.py``) are the kernels the launcher
starts: same modules, path, folder, environment, signals and threads, nothing shared between
two of them, and they end, report and die as jupyter_client expects."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from kernel_fork import ForkedProcess, ForkServer

from tests.processes import is_live

pytestmark = pytest.mark.slow

LOOK_AROUND = """
import collections, json, os, signal, sys, threading
from IPython.paths import get_ipython_dir
def _kind(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}").split(":")[0].split("[")[0]
    except OSError:
        return get_ipython_dir()  # gone: the listing's own descriptor
print(json.dumps({
    "modules": sorted(sys.modules),
    "path": sys.path,
    "argv": sys.argv[:2],
    "cwd": os.getcwd(),
    "env": dict(os.environ, JPY_PARENT_PID="", PYTEST_CURRENT_TEST=""),
    "session_leader": os.getsid(0) == os.getpid(),
    "signals": {str(s): str(signal.getsignal(s)) for s in signal.valid_signals()},
    "blocked": sorted(map(int, signal.pthread_sigmask(signal.SIG_BLOCK, []))),
    "threads": sorted(t.name for t in threading.enumerate()),
    "main": sys.modules["__main__"].__name__,
    "flags": str(sys.flags),
    # (what IPython opens in its profile folder, as its history, comes and goes)
    "files": sorted(collections.Counter(
        kind for kind in map(_kind, os.listdir("/proc/self/fd"))
        if not kind.startswith(get_ipython_dir())
    ).items()),
}))
"""


@pytest.fixture
def forks() -> Iterator[ForkServer]:
    server = ForkServer(sys.executable)
    yield server
    server.close()


class Kernel:
    """A kernel of this Python started by jupyter_client, forked by ``forks`` if given."""

    def __init__(self, folder: Path, forks: ForkServer | None, **launch: Any) -> None:
        self.manager = KernelManager(kernel_name="python3")
        assert self.manager.kernel_spec is not None
        self.manager.kernel_spec.argv[0] = sys.executable  # this venv's, as nbval's
        if forks is not None:
            self.manager.provisioner = forks.provisioner(self.manager)
        self._quiet = open(os.devnull, "w")  # noqa: SIM115 - closed in stop
        try:
            self.manager.start_kernel(cwd=str(folder), stderr=self._quiet, **launch)
        except BaseException:
            self._quiet.close()
            raise
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    @property
    def process(self) -> Any:
        assert self.manager.provisioner is not None
        return self.manager.provisioner.process  # type: ignore[attr-defined]

    def run(self, code: str) -> tuple[str, dict[str, Any]]:
        """Run ``code``; its printed output and the execute reply's content."""
        printed: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        reply = self.client.execute_interactive(code, output_hook=collect, timeout=30)
        return "".join(printed), reply["content"]

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        self._quiet.close()


def _look_around(folder: Path, forks: ForkServer | None) -> dict[str, Any]:
    kernel = Kernel(folder, forks)
    try:
        printed, _ = kernel.run(LOOK_AROUND)
        return json.loads(printed)  # type: ignore[no-any-return]
    finally:
        kernel.stop()


def test_a_forked_kernel_is_the_kernel_the_launcher_starts(
    tmp_path: Path, forks: ForkServer
) -> None:
    launched = _look_around(tmp_path, None)
    forked = _look_around(tmp_path, forks)

    assert forked == launched
    assert launched["cwd"] == str(tmp_path)
    assert launched["session_leader"]


def test_forked_kernels_share_nothing_but_the_import(tmp_path: Path, forks: ForkServer) -> None:
    first, second = Kernel(tmp_path, forks), Kernel(tmp_path, forks)
    try:
        assert isinstance(first.process, ForkedProcess)
        first.run("import ipykernel, random; ipykernel.touched = True; value = random.random()")
        printed, _ = first.run("print(value)")
        touched, _ = second.run("import ipykernel; print(hasattr(ipykernel, 'touched'))")
        other, _ = second.run("import random; print(random.random())")
    finally:
        first.stop()
        second.stop()

    assert touched.strip() == "False"
    assert printed != other, "each kernel has its own random numbers"


def test_a_forked_kernel_is_interrupted_killed_and_reports_its_end(
    tmp_path: Path, forks: ForkServer
) -> None:
    kernel = Kernel(tmp_path, forks)
    try:
        kernel.client.execute("import time; time.sleep(60)")
        time.sleep(0.5)
        kernel.manager.interrupt_kernel()
        reply = kernel.client.get_shell_msg(timeout=10)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        process = kernel.process
        kernel.manager.signal_kernel(signal.SIGKILL)  # to its process group, as a kill
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert not kernel.manager.is_alive()
    finally:
        kernel.stop()


def test_a_forked_kernel_exits_with_its_own_code(tmp_path: Path, forks: ForkServer) -> None:
    ending, living = Kernel(tmp_path, forks), Kernel(tmp_path, forks)
    process = ending.process
    try:
        ending.client.execute("import os; os._exit(3)")
        assert process.wait(timeout=10) == 3
        assert not ending.manager.is_alive()
        with pytest.raises(subprocess.TimeoutExpired):
            living.process.wait(timeout=0.1)
        assert living.manager.is_alive()
    finally:
        ending.stop()
        living.stop()


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while is_live(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("how", ["closed", "killed"])
def test_no_kernel_outlives_its_zygote(tmp_path: Path, how: str) -> None:
    forks = ForkServer(sys.executable)
    kernel = Kernel(tmp_path, forks)
    pid = kernel.process.pid
    assert forks.pid is not None
    if how == "killed":  # as if the pool's process died: no goodbye, the kernel dies too
        os.kill(forks.pid, signal.SIGKILL)
    forks.close()

    try:
        assert _gone(pid)
        assert kernel.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        kernel.stop()


def test_what_the_zygote_cannot_give_is_launched_as_usual(
    tmp_path: Path, forks: ForkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Kernel(tmp_path, forks)  # the zygote starts with this environment
    monkeypatch.setenv("ORDERKIT_SOMETHING_NEW", "1")  # read on import, for all we know
    other_env = Kernel(tmp_path, forks)
    piped = Kernel(tmp_path, forks, stdout=subprocess.PIPE)
    try:
        assert isinstance(first.process, ForkedProcess)
        assert isinstance(other_env.process, subprocess.Popen)
        assert isinstance(piped.process, subprocess.Popen)
        printed, _ = other_env.run("import os; print(os.environ['ORDERKIT_SOMETHING_NEW'])")
        assert printed.strip() == "1"
    finally:
        for kernel in (first, other_env, piped):
            kernel.stop()


def test_without_unix_sockets_that_keep_messages_apart_kernels_are_launched_as_usual(
    tmp_path: Path, forks: ForkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    socketpair = socket.socketpair

    def no_seqpacket(*args: Any, **kwargs: Any) -> tuple[socket.socket, socket.socket]:
        if socket.SOCK_SEQPACKET in (*args[1:2], kwargs.get("type")):
            raise OSError(errno.EPROTONOSUPPORT, "Protocol not supported")  # as on macOS
        return socketpair(*args, **kwargs)

    monkeypatch.setattr(socket, "socketpair", no_seqpacket)
    kernel = Kernel(tmp_path, forks)
    try:
        assert isinstance(kernel.process, subprocess.Popen)
        printed, _ = kernel.run("print(6 * 7)")
        assert printed.strip() == "42"
    finally:
        kernel.stop()


def test_a_dead_zygote_is_a_clear_error_at_the_next_start(
    tmp_path: Path, forks: ForkServer
) -> None:
    Kernel(tmp_path, forks).stop()
    assert forks.pid is not None
    os.kill(forks.pid, signal.SIGKILL)
    assert _gone(forks.pid)

    with pytest.raises(RuntimeError, match="Could not start a kernel: the zygote died"):
        Kernel(tmp_path, forks)
