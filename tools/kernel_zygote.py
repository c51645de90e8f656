"""The process ``tools/kernel_fork.py`` forks kernels from: ipykernel imported once.

Started in the kernel's own Python and environment as ``python kernel_zygote.py FD``, it
imports what ``python -m ipykernel_launcher`` imports before it starts a kernel
(``ipykernel.kernelapp``, ~0.2 s of CPU) and nothing more. Then, for each request on the
socket ``FD`` (the launcher's arguments, a folder, an environment, and descriptors for the
kernel's stdin, stdout, stderr and exit status), it forks. The child becomes what the
launcher would have been: its own session, those standard streams and no other open file,
that folder, environment and argv; then it runs ``kernelapp.launch_new_instance()``.

No kernel ever runs in this process, so every child starts from the same state, the one
right after that import (the ``random`` module reseeds itself in each child). The parent
answers ``{"pid": ...}``, reaps its children and writes each one's exit code to its status
descriptor. When the socket closes (the pool is done, or its process died) it kills the
kernels still running and exits; a kernel whose zygote dies is killed too.
"""

from __future__ import annotations

import sys

del sys.path[0]  # this script's folder: the launcher, too, loads ipykernel without its own

import contextlib  # noqa: E402 - the path above first
import ctypes  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402, F401 - loaded in a kernel too, by `python -m`
import signal  # noqa: E402
import socket  # noqa: E402
from typing import Any  # noqa: E402

from ipykernel import kernelapp  # noqa: E402 - the import every kernel shares

_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_SPEC = importlib.util.find_spec("ipykernel_launcher")
_LAUNCHER = _SPEC.origin if _SPEC and _SPEC.origin else "ipykernel_launcher"  # argv[0]
_status: dict[int, int] = {}  # running kernel pid -> its status descriptor


def _reap(signum: int = 0, frame: Any = None) -> None:
    """Collect ended kernels and write each one's exit code to its status descriptor."""
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = _status.pop(pid, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.write(fd, str(os.waitstatus_to_exitcode(wait_status)).encode())
            os.close(fd)


def _become_kernel(channel: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: set up the process as ``python -m ipykernel_launcher`` has it."""
    zygote = os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    with contextlib.suppress(OSError, AttributeError):  # Linux; elsewhere the pool kills it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:  # the zygote died before the line above
        os._exit(1)
    os.setsid()  # jupyter_client's start_new_session
    _status_fd, *stdio = fds
    for target, fd in enumerate(stdio):
        os.dup2(fd, target)
    channel.detach()  # closed below with every other inherited descriptor
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [_LAUNCHER, *request["args"]]  # the folder is not on sys.path: the launcher
    # takes it off while ipykernel loads, and IPython puts it back as the kernel starts


def _kill_all() -> None:
    """Kill the kernels still running (with their process groups) and reap them."""
    for pid in list(_status):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while _status:
        pid = next(iter(_status))
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(_status.pop(pid))  # end of file: killed with the zygote's end


def serve(channel: socket.socket) -> bool:
    """Fork a kernel per request. True in a child (it goes on to run the kernel); False
    once the socket has closed."""
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        data, fds, _flags, _address = socket.recv_fds(channel, 1 << 20, 4)
        if not data:
            _kill_all()
            return False
        request = json.loads(data)
        reply: dict[str, Any]
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # reap after recording
        try:
            pid = os.fork()
        except OSError as error:
            pid, reply = -1, {"error": f"cannot fork a kernel: {error}"}
        if pid == 0:
            _become_kernel(channel, request, fds)
            return True
        if pid > 0:
            _status[pid], reply = fds[0], {"pid": pid}
        for fd in fds[1:] if pid > 0 else fds:
            os.close(fd)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        channel.send(json.dumps(reply).encode())


if __name__ == "__main__":
    if serve(socket.socket(fileno=int(sys.argv[1]))):
        kernelapp.launch_new_instance()
