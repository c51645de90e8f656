"""Kernels forked from a process that has imported ipykernel once (``kernel_zygote.py``).

A kernel takes ~0.31 s of CPU until it first answers, ~0.2 s of it importing ipykernel and
what it needs (IPython, jupyter_client, ZeroMQ, tornado). Strict validation starts one per
notebook; on 2 cores that import was a sixth of ``make notebooks``. Here one zygote per
process imports it (~0.21 s, once), and each kernel is a fork of it that takes ~0.14 s of
CPU until it first answers. A forked kernel is set up as ``python -m ipykernel_launcher``
would set it up: its own session and folder, its environment and argv, standard streams as
given, no other open file. No kernel runs in the zygote, so each one starts from the state
right after that import, which is the same for all of them. (In ``ps`` a forked kernel
shows the zygote's command line, and ``/proc/PID/environ`` the zygote's environment: both
are what the process was started with, the zygote.)

``ForkingProvisioner`` is jupyter_client's ``LocalProvisioner`` with the launch swapped: the
kernel's process is a ``ForkedProcess`` (what ``Popen`` offers jupyter_client: poll, wait,
signals; the exit code comes from the zygote, which reaps it). A command that is not the
current Python's ``-m ipykernel_launcher``, or launch options the zygote cannot honour, are
launched as jupyter_client launches them.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import threading
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

ZYGOTE = Path(__file__).with_name("kernel_zygote.py")
_LAUNCHER_ARGS = ["-m", "ipykernel_launcher"]
_HANDLED = {"stdin", "stdout", "stderr", "env", "cwd", "independent"}  # of Popen's options
_NOT_FOR_POPEN = {"extra_arguments", "kernel_id"}  # in launch_kernel's, for the provisioner
# Environment variables that differ from kernel to kernel and that nothing reads on import
# (ipykernel 7.4, IPython 9, jupyter_client 8): pytest's name of the test running when the
# kernel started, and the notebook's session name. The rest of a kernel's environment must
# be the zygote's, because some modules read it on import (ipykernel's JPY_PARENT_PID).
_PER_KERNEL = frozenset({"PYTEST_CURRENT_TEST", "JPY_SESSION_NAME"})


def _shared(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in _PER_KERNEL}


class ForkedProcess:
    """A kernel forked by the zygote: ``subprocess.Popen``'s ways to follow and end it.

    Its exit code arrives on a pipe the zygote writes once it has reaped the kernel; end of
    file without one means the zygote died, and took the kernel with it (``SIGKILL``).
    """

    def __init__(self, pid: int, status: int, stdin: IO[bytes] | None) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = stdin
        self.stdout: IO[bytes] | None = None
        self.stderr: IO[bytes] | None = None
        self._status = status
        self._lock = threading.Lock()  # nbval polls while the pool's stop thread waits

    def _ended(self, timeout: float | None) -> bool:
        """Whether the kernel has ended, waiting up to ``timeout`` s (None: until it has).
        A poll (0) while another thread waits answers at once, as ``Popen.poll`` does."""
        if not self._lock.acquire(blocking=timeout != 0):
            return self.returncode is not None
        try:
            if self.returncode is None:
                waiting = select.poll()
                waiting.register(self._status, select.POLLIN)
                if waiting.poll(None if timeout is None else timeout * 1000):
                    code = os.read(self._status, 64)
                    os.close(self._status)
                    self.returncode = int(code) if code else -signal.SIGKILL
            return self.returncode is not None
        finally:
            self._lock.release()

    def poll(self) -> int | None:
        self._ended(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # an ended kernel's pid may already be someone else's
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One zygote, started in ``python`` on first use; ``spawn`` forks a kernel from it."""

    def __init__(self, python: str) -> None:
        self.python = python
        self._lock = threading.Lock()  # kernels start from several threads
        self._zygote: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self.env: dict[str, str] | None = None  # the zygote's, but for _PER_KERNEL

    @property
    def pid(self) -> int | None:
        """The zygote's process id; None: not started (or closed)."""
        return self._zygote.pid if self._zygote is not None else None

    def _start(self, env: dict[str, str]) -> socket.socket | None:
        """The socket to a zygote started with ``env``; None: it has another environment,
        or this system has no Unix sockets that keep messages apart (Linux has)."""
        if self._channel is None and self.env is None:
            try:
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            except (AttributeError, OSError):
                self.env = {}  # never matches an environment: every kernel launched as usual
                return None
            with theirs:
                self._zygote = subprocess.Popen(
                    [self.python, str(ZYGOTE), str(theirs.fileno())],
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    cwd=ZYGOTE.parent,
                    env=env,
                )
            self._channel, self.env = ours, _shared(env)
        return self._channel if self._channel and _shared(env) == self.env else None

    def spawn(
        self, args: list[str], *, cwd: str, env: dict[str, str], stdio: list[int]
    ) -> ForkedProcess | None:
        """Fork a kernel running ``ipykernel_launcher args`` with descriptors ``stdio``
        (-1: a new pipe for stdin, kept as the process's ``stdin``). None: ``env`` is not the
        zygote's (the zygote starts with the first kernel's)."""
        request = json.dumps({"args": args, "cwd": cwd, "env": env}).encode()
        with self._lock, ExitStack() as sent:
            channel = self._start(env)
            if channel is None:
                return None
            status, status_write = os.pipe()
            sent.callback(os.close, status_write)  # the zygote has its own copy
            descriptors, stdin = [status_write], None
            for fd in stdio:
                if fd == -1:
                    read, write = os.pipe()
                    sent.callback(os.close, read)
                    stdin = open(write, "wb")  # noqa: SIM115 - closed by the provisioner
                    fd = read
                descriptors.append(fd)
            try:
                try:
                    socket.send_fds(channel, [request], descriptors)
                    reply = json.loads(channel.recv(4096) or b'{"error": "the zygote died"}')
                except OSError as error:
                    reply = {"error": f"the zygote died ({error})"}
                if "pid" not in reply:
                    raise RuntimeError(f"Could not start a kernel: {reply['error']}")
            except BaseException:
                os.close(status)
                if stdin is not None:
                    stdin.close()
                raise
        return ForkedProcess(reply["pid"], status, stdin)

    def provisioner(self, manager: Any) -> ForkingProvisioner:
        """A provisioner forking ``manager``'s kernel from here: set it as
        ``manager.provisioner`` before ``start_kernel`` (``manager``: a ``KernelManager``)."""
        manager.kernel_id = manager.kernel_id or str(uuid.uuid4())
        provisioner = ForkingProvisioner(
            kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager
        )
        provisioner.forks = self
        return provisioner

    def close(self) -> None:
        """Close the socket: the zygote kills the kernels still running and exits."""
        with self._lock:
            if self._channel is not None:
                self._channel.close()
                self._channel = None
            if self._zygote is not None:
                self._zygote.wait(timeout=10)
                self._zygote = None


def _descriptor(stream: Any, default: int, opened: ExitStack) -> int | None:
    """The descriptor a ``Popen`` stream argument stands for (-1: a new pipe for stdin);
    None: one the zygote cannot take."""
    if stream is None:
        return default
    if stream is subprocess.DEVNULL:
        fd = os.open(os.devnull, os.O_RDWR)
        opened.callback(os.close, fd)
        return fd
    if stream is subprocess.PIPE:
        return -1 if default == 0 else None
    if isinstance(stream, int):
        return stream
    if hasattr(stream, "fileno"):
        return int(stream.fileno())
    return None


class ForkingProvisioner(LocalProvisioner):
    """``LocalProvisioner`` whose kernels are forked by ``forks`` when they can be."""

    forks: ForkServer | None = None

    def _fork(self, cmd: list[str], options: dict[str, Any]) -> ForkedProcess | None:
        """The kernel, forked by the zygote; None: it cannot be (it is launched as usual)."""
        if (
            self.forks is None
            or os.path.realpath(cmd[0]) != os.path.realpath(self.forks.python)
            or cmd[1:3] != _LAUNCHER_ARGS
            or not set(options) <= _HANDLED
            or options.get("independent", False)
        ):
            return None
        env = dict(options.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launch_kernel
        stdin = options.get("stdin")
        with ExitStack() as opened:
            stdio = [  # no stdin given: a pipe, as jupyter_client's launch_kernel gives
                _descriptor(subprocess.PIPE if stdin is None else stdin, 0, opened),
                _descriptor(options.get("stdout"), 1, opened),
                _descriptor(options.get("stderr"), 2, opened),
            ]
            descriptors = [fd for fd in stdio if fd is not None]
            if len(descriptors) < len(stdio):
                return None
            return self.forks.spawn(
                [os.path.expanduser(arg) for arg in cmd[3:]],
                cwd=os.fspath(options.get("cwd") or os.getcwd()),
                env=env,
                stdio=descriptors,
            )

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        options = {name: value for name, value in kwargs.items() if name not in _NOT_FOR_POPEN}
        process = self._fork(cmd, options)
        if process is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = process  # type: ignore[assignment] # what jupyter_client uses of a Popen
        self.pid = self.pgid = process.pid  # the kernel leads its own session
        self.cwd = os.fspath(options.get("cwd") or os.getcwd())
        return self.connection_info
