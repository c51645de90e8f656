"""A clean process that starts the batch's runs: the cost of imports paid once, no grader data.

Starting every run as a fresh Python costs most of a run's time in imports (IPython,
pytest). The zygote is one fresh Python, started by the grader with ``exec`` and nothing
else: it imports those libraries once, then for each request starts a run in a sandbox
(:func:`orderkit.classroom.batch.sandbox.start`), forked from itself. It never runs student code
and never holds grading data: a request names only the run's scratch folder (which the
grader filled), what to hide and the limits; it never sees the catalogue, the schedule or
any result. Each run then forgets the kit this process imported and loads its own copy
(:mod:`orderkit.classroom.batch.kitcopy`), as a run started with ``exec`` does.

The grader talks to it over a socket pair: one JSON request and the run's result
descriptor in; the sandbox's descriptors (:meth:`Sandboxed.handoff`) out, so the grader
waits for and, past its limit, kills each run itself.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orderkit.classroom.batch import sandbox
from orderkit.classroom.batch.limits import Group
from orderkit.classroom.processes.libc import die_with_parent
from orderkit.classroom.runtime.runner import RESULT_FD

PRELOAD = (
    "IPython.core.interactiveshell",
    "traitlets.config",
    "pytest",
    "ipytest",
    "_pytest.runner",
    "_pytest.subtests",
    "unittest.mock",
    "sqlite3",
    "hypothesis",
    "hypothesis.strategies",
)
_BOOT = "from orderkit.classroom.batch.zygote import serve; serve({fd})"


def serve(fd: int) -> None:
    """The zygote's loop (in the zygote): a run per request, until the grader hangs up."""
    die_with_parent()
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _warm()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the runs' first processes reap themselves
    channel = socket.socket(fileno=fd)
    gc.freeze()
    while True:
        data, fds, _, _ = socket.recv_fds(channel, 1 << 20, 1)
        if not data or len(fds) != 1:
            return
        try:
            handed, reply = _start(json.loads(data), fds[0]), b"1"
        except Exception as error:  # the grader hears why the run could not start
            handed, reply = [], f"{type(error).__name__}: {error}"[:500].encode()
        socket.send_fds(channel, [reply], handed)
        for number in (*handed, *fds):
            os.close(number)
        del data, fds, handed


def _warm() -> None:
    """Run one trivial cell and one trivial test, so that what IPython and pytest import,
    compile and cache on first use is paid once, here, instead of in every run.

    Nothing of it is data of the grader's or of a student's: the runs start from the same
    state whichever implementation they get. The shell it creates is the one every run
    resets and reuses (:func:`orderkit.classroom.runtime.cells.new_shell`).
    """
    import ipytest

    from orderkit.classroom.runtime import cells, testrun
    from orderkit.classroom.runtime.collect import test_module
    from orderkit.notebook import pytest_args

    shell = cells.new_shell()
    ran = cells.run_cells(shell, [("warm", "def test_warm():\n    assert True")])
    module = test_module(shell.user_ns, ran.tests.tests())
    with cells.quiet(cells.Bounded()):
        ipytest.run(
            *pytest_args(),
            *testrun.RUN_ARGS,
            module=module,
            raise_on_error=False,
            addopts=[],
            run_in_thread=False,
        )
    shell.reset(new_session=False)


def _start(request: dict[str, Any], result: int) -> list[int]:
    group = request["group"]
    box = sandbox.start(
        lambda: _run(result),
        scratch=Path(request["scratch"]),
        hide=[Path(p) for p in request["hide"]],
        memory_mib=int(request["memory_mib"]),
        isolation=sandbox.Isolation("namespaces", sandbox.NAMESPACES),
        keep=(result,),
        cpu_seconds=float(request["cpu_seconds"]),
        group=Group(tuple(Path(p) for p in group)) if group else None,
    )
    return box.handoff()


def _run(result: int) -> None:
    """In the sandbox: forget the kit imported here, load the run's own copy, run it."""
    if result != RESULT_FD:
        os.dup2(result, RESULT_FD)
        os.close(result)
    for name in [n for n in sys.modules if n == "orderkit" or n.startswith("orderkit.")]:
        del sys.modules[name]
    sys.path.insert(0, os.path.abspath("kit"))
    importlib.invalidate_caches()
    runner = importlib.import_module("orderkit.classroom.runtime.runner")
    runner.main()


class Zygote:
    """The grader's side: start the zygote once, then ask it for runs."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", _BOOT.format(fd=theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        self.channel = ours

    def start(
        self,
        scratch: Path,
        result: int,
        *,
        hide: Sequence[Path],
        memory_mib: int,
        cpu_seconds: float,
        group: Group | None,
    ) -> sandbox.Sandboxed:
        request: dict[str, Any] = {
            "scratch": str(scratch),
            "hide": [str(p) for p in hide],
            "memory_mib": memory_mib,
            "cpu_seconds": cpu_seconds,
            "group": [str(f) for f in group.folders] if group is not None else None,
        }
        socket.send_fds(self.channel, [json.dumps(request).encode()], [result])
        reply, fds, _, _ = socket.recv_fds(self.channel, 1024, 3)
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            why = reply.decode(errors="replace") or "the zygote ended"
            raise sandbox.SandboxError(f"a run could not start: {why}")
        return sandbox.Sandboxed.adopt(fds, sandbox.Isolation("namespaces", sandbox.NAMESPACES))

    def close(self) -> None:
        self.channel.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
