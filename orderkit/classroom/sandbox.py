"""Run one function in a forked child that cannot reach the grader, the network or your files.

The batch grader forks a child per submission from its warmed-up process. Where the machine
allows it (:func:`probe` checks once), :func:`start` makes that child a sandbox of Linux
namespaces, plus a user namespace when not root (it maps your uid and gid to themselves):

- PID: the submission sees only its own processes, so ``kill(getppid())``, ``killpg(0)``
  and ``kill(-1)`` reach nothing outside; when the sandbox's PID 1 ends, the kernel kills
  every process left inside, even those that called ``setsid()``.
- network: only a loopback interface that is down; no connection anywhere, not even to the
  grader's ports on 127.0.0.1 or to abstract Unix sockets.
- mount: the whole file system read-only and without device files (except /dev/null, zero,
  full, random, urandom), but for the scratch folder and a fresh tmpfs on /tmp and /dev/shm
  (each capped at ``memory_mib``); each ``hide`` folder covered by an empty, unreadable
  tmpfs (a file by /dev/null); a fresh read-only /proc showing only the sandbox.
Then the child keeps only CAP_DAC_READ_SEARCH (it can read what the grader reads, and can
neither undo the mounts nor raise its limits), sets no_new_privs, caps its address space and
file size at ``memory_mib`` (RLIMIT_AS, RLIMIT_FSIZE) and closes every inherited descriptor.

Not stopped: CPU time and fork bombs (no cgroups; only the parent's wall-clock kill ends
them), filling the disk under scratch (RLIMIT_FSIZE bounds one file), reading what the
grader can read except ``hide``, and, as root, connecting to root's Unix sockets on disk
(hide /run for that). Without namespaces (kind "process-group", or ``ORDERKIT_SANDBOX=
process-group`` to force it): a session, the limits and the scratch folder only; the
submission can signal the grader and every process of its user (as root ``kill(-1)`` kills
the machine), use the network and write anywhere its user may, and a process that left the
group with ``setsid()`` survives the cleanup, which kills the process group.

The child is forked from a process that may have threads (pytest, an ipykernel): until
``fn`` runs it makes only system calls, and it leaves with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import enum
import errno
import functools
import gc
import io
import os
import pickle
import resource
import select
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Literal, NoReturn

from orderkit.classroom.errors import ClassroomError

ENV = "ORDERKIT_SANDBOX"  # "process-group": skip namespaces (read by probe() on each call)
NAMESPACES = (
    "own PID, mount and network namespaces; read-only file system except its scratch folder "
    "and a private /tmp"
)
_NEWNS, _NEWUSER, _NEWPID, _NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = (
    *(1, 2, 4, 8),
    *(4096, 16384, 1 << 18),
)
_ATTR_RDONLY, _ATTR_NOSUID, _ATTR_NODEV = 1, 2, 4
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 24, 38
_DEVICES = ("null", "zero", "full", "random", "urandom")
_TMPDIR = "/tmp/sandbox"  # TMPDIR inside; outside namespaces: <scratch>/.tmp
_HEADER = struct.Struct("=iiq")  # start of the result file: status set?, wait status, size


@dataclass(frozen=True)
class Isolation:
    """How a sandbox is isolated, with one line for the grades file and the report."""

    kind: Literal["namespaces", "process-group"]
    detail: str


class SandboxError(ClassroomError):
    """A sandbox could not be set up, or its result could not be read."""


class _MountAttr(ctypes.Structure):
    _fields_ = [(f, ctypes.c_uint64) for f in ("set", "clr", "propagation", "userns_fd")]


@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    for name in ("unshare", "mount", "prctl", "syscall", "capset"):
        getattr(libc, name)  # resolve in the parent: dlsym takes a lock a forked child may lack
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise SandboxError(f"{what}: {errno.errorcode.get(code, code)} ({os.strerror(code)})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = [None if s is None else os.fsencode(s) for s in (source, target, fstype, data or None)]
    _check(_libc().mount(*enc[:3], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def _setattr(path: str, add: int = 0, clear: int = 0, flags: int = 0) -> None:
    """mount_setattr(2) (syscall 442 on every architecture), AT_RECURSIVE in ``flags``."""
    attr = _MountAttr(add, clear, 0, 0)
    args = (ctypes.c_long(a) for a in (442, -100))  # variadic: every number as a long
    call = _libc().syscall(*args, os.fsencode(path), ctypes.c_long(flags), ctypes.byref(attr), 32)
    _check(call, f"mount_setattr {path}")


def _prctl(option: int, value: int) -> int:
    return int(_libc().prctl(option, *(ctypes.c_ulong(v) for v in (value, 0, 0, 0))))


def probe() -> Isolation:
    """What this machine allows: namespaces if a tiny sandbox starts, else a process group."""
    if os.environ.get(ENV) == "process-group":
        return Isolation("process-group", f"process group only: namespaces turned off by {ENV}")
    return _probe_namespaces()


@functools.cache
def _probe_namespaces() -> Isolation:
    with tempfile.TemporaryDirectory(prefix="orderkit-probe-") as folder:
        box = start(os.getpid, scratch=Path(folder), isolation=Isolation("namespaces", NAMESPACES))
        if not wait([box.sentinel], timeout=10):
            box.kill()
        status, value = box.result()
    if (status, value) == ("ok", 2):  # the child after the new PID 1
        return Isolation("namespaces", NAMESPACES)
    return Isolation("process-group", f"process group only: namespaces refused ({value})")


class Sandboxed:
    """A started sandbox: wait on ``sentinel``, then call :meth:`result` (or :meth:`kill`).

    Both close ``sentinel``: take it out of your wait list before.
    """

    def __init__(self, pid: int, isolation: Isolation, memfd: int, init: int | None) -> None:
        self.pid = pid
        self.isolation = isolation
        self.sentinel = os.pidfd_open(pid)
        self._memfd, self._init = memfd, init  # result file; pidfd of the sandbox's PID 1
        self._outcome: tuple[str, object] | None = None

    def result(self) -> tuple[str, object]:
        """("ok", value), ("error", "TypeName: text") or ("died", how); reaps and cleans up."""
        if self._outcome is None:
            self._outcome = self._reap("")
        return self._outcome

    def kill(self) -> None:
        """Kill the whole tree now and reap it; result() then says "died" (or what was sent)."""
        if self._outcome is None:
            if self._init is not None:  # PID 1 dies, the kernel empties the namespace, the
                signal.pidfd_send_signal(self._init, signal.SIGKILL)  # first child reaps it
            else:
                signal.pidfd_send_signal(self.sentinel, signal.SIGKILL)
            self._outcome = self._reap("killed by the grader")

    def _reap(self, killed: str) -> tuple[str, object]:
        group = self.isolation.kind == "process-group"
        if group:  # before waitpid: the unreaped leader keeps the group's id from reuse
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        for _ in range(1000 if group else 0):  # until init has reaped the group's last member
            try:
                os.killpg(self.pid, 0)
                time.sleep(0.001)
            except ProcessLookupError:
                break
        data = os.pread(self._memfd, os.fstat(self._memfd).st_size, 0)
        for fd in (self.sentinel, self._memfd, self._init):
            if fd is not None:
                os.close(fd)
        known, child_status, size = _HEADER.unpack(data[: _HEADER.size].ljust(_HEADER.size, b"\0"))
        payload = data[_HEADER.size : _HEADER.size + size]
        if size and len(payload) == size:
            try:
                status_word, value = _Unpickler(io.BytesIO(payload)).load()
                if status_word in ("ok", "error"):
                    return (str(status_word), value)
                raise pickle.UnpicklingError(f"status {status_word!r}")
            except Exception as error:
                return ("error", f"SandboxError: unreadable result ({_describe(error)})"[:300])
        code = os.waitstatus_to_exitcode(child_status if known else status)
        how = (
            f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        )
        return ("died", killed or how)


class _Unpickler(pickle.Unpickler):
    """Only plain data and orderkit's dataclasses and enums: the bytes come from the child."""

    SAFE = {("builtins", n) for n in ("set", "frozenset", "bytearray", "complex")} | {
        ("collections", "OrderedDict"),
        ("pathlib", "PosixPath"),
        ("pathlib", "PurePosixPath"),
    }

    def find_class(self, module: str, name: str) -> Any:
        loaded = sys.modules.get(module) if module.partition(".")[0] == "orderkit" else None
        found = getattr(loaded, name, None) if "." not in name else None
        if (module, name) in self.SAFE:
            return super().find_class(module, name)
        if isinstance(found, type) and (
            dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)
        ):
            return found
        raise pickle.UnpicklingError(f"the result refers to {module}.{name}, which is refused")


def start(
    fn: Callable[[], object],
    *,
    scratch: Path,
    hide: Sequence[Path] = (),
    memory_mib: int = 1024,
    isolation: Isolation | None = None,
) -> Sandboxed:
    """Fork and run ``fn()`` in a sandbox (see the module's docstring); return at once."""
    isolation = isolation or probe()
    scratch = Path(scratch).resolve()
    hidden = [Path(p).resolve() for p in hide]
    for path in [scratch, *hidden]:
        if not path.exists():
            raise SandboxError(f"no such file or folder: {path}")
    if not scratch.is_dir():
        raise SandboxError(f"the scratch folder is not a folder: {scratch}")
    memfd = os.memfd_create("orderkit-sandbox-result", os.MFD_CLOEXEC)
    job = _Job(fn, memfd, scratch, hidden, memory_mib, os.getpid(), gc.isenabled())
    _libc()
    if isolation.kind == "process-group":
        pid = os.fork()
        if pid == 0:
            _run(job, namespaced=False)
        return Sandboxed(pid, isolation, memfd, None)
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        _first(job, theirs)
    theirs.close()
    with ours:  # the first child sends a pidfd of PID 1 (or nothing if it failed before)
        _, fds, _, _ = socket.recv_fds(ours, 1, 1)
    return Sandboxed(pid, isolation, memfd, fds[0] if fds else None)


@dataclass(frozen=True)
class _Job:
    fn: Callable[[], object]
    memfd: int
    scratch: Path
    hide: list[Path]
    memory_mib: int
    grader: int
    gc: bool


def _first(job: _Job, channel: socket.socket) -> NoReturn:
    """First child, still in the grader's PID namespace: unshare, start PID 1, reap it."""
    try:
        gc.disable()  # no finalizer of an object inherited from the grader runs here
        _quiet()
        os.setsid()
        _check(_prctl(_PR_SET_PDEATHSIG, signal.SIGKILL), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != job.grader:
            os._exit(1)
        uid, gid = os.geteuid(), os.getegid()
        flags = _NEWNS | _NEWPID | _NEWNET | (_NEWUSER if uid else 0)
        unshare = getattr(os, "unshare", None)  # Python 3.12+
        if unshare is None:
            _check(_libc().unshare(flags), "unshare(user, mount, pid, net)")
        else:
            try:
                unshare(flags)
            except OSError as error:
                raise SandboxError(f"unshare(user, mount, pid, net): {error}") from None
        if uid:
            for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
                _write(f"/proc/self/{name}", line)
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        me = os.pidfd_open(os.getpid())
        init = os.fork()
        if init == 0:
            channel.close()
            _init(job, me)
        socket.send_fds(channel, [b"1"], [os.pidfd_open(init)])
        channel.close()
        _, status = os.waitpid(init, 0)
        if not os.pread(job.memfd, 4, 0).strip(b"\0"):  # PID 1 died before its child's status
            os.pwrite(job.memfd, struct.pack("=ii", 1, status), 0)
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
    os._exit(0)


def _init(job: _Job, first: int) -> NoReturn:
    """PID 1 of the new namespace: mount, then fork the child that runs ``fn``, and reap."""
    try:
        _check(_prctl(_PR_SET_PDEATHSIG, signal.SIGKILL), "prctl(PR_SET_PDEATHSIG)")
        if select.select([first], [], [], 0)[0]:  # the first child died before prctl
            os._exit(1)
        os.close(first)
        os.setsid()  # out of the first child's group: killpg(0) inside cannot reach it
        _mount_all(job)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        child = os.fork()
        if child == 0:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            _run(job, namespaced=True)
        while (reaped := os.waitpid(-1, 0))[0] != child:
            pass  # orphans of the submission are reparented here
        os.pwrite(job.memfd, struct.pack("=ii", 1, reaped[1]), 0)
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
    os._exit(0)


def _mount_all(job: _Job) -> None:
    """Read-only, device-free file system; writable scratch; private /tmp, /dev/shm, /proc."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the grader
    scratch = os.open(job.scratch, os.O_PATH | os.O_DIRECTORY)
    for path in job.hide:
        if path.is_dir():
            _mount("tmpfs", str(path), "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "mode=000")
        else:
            _mount("/dev/null", str(path), None, _MS_BIND)
    for device in _DEVICES:
        _mount(f"/dev/{device}", f"/dev/{device}", None, _MS_BIND)
    _setattr("/", _ATTR_RDONLY | _ATTR_NOSUID | _ATTR_NODEV, flags=0x8000)  # AT_RECURSIVE
    for device in _DEVICES:
        _setattr(f"/dev/{device}", clear=_ATTR_NODEV)
    for folder in ("/tmp", "/dev/shm"):
        if os.path.isdir(folder):
            size = f"size={job.memory_mib}m,mode=1777"
            _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, size)
    os.makedirs(job.scratch, exist_ok=True)  # a scratch under /tmp is hidden by now
    _mount(f"/proc/self/fd/{scratch}", str(job.scratch), None, _MS_BIND)
    _setattr(str(job.scratch), clear=_ATTR_RDONLY)
    os.close(scratch)
    _mount("proc", "/proc", "proc", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def _run(job: _Job, *, namespaced: bool) -> NoReturn:
    """The child that runs ``fn``: limits, folders, descriptors, privileges, then ``fn``."""
    message: tuple[str, object]
    try:
        if not namespaced:
            _quiet()
            os.setsid()
            _check(_prctl(_PR_SET_PDEATHSIG, signal.SIGKILL), "prctl(PR_SET_PDEATHSIG)")
            if os.getppid() != job.grader:
                os._exit(1)
        tmp = _TMPDIR if namespaced else str(job.scratch / ".tmp")
        os.makedirs(tmp, exist_ok=True)
        limit = job.memory_mib * 1024 * 1024
        for which in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE):
            resource.setrlimit(which, (limit, limit))
        os.chdir(job.scratch)
        os.environ["TMPDIR"] = tempfile.tempdir = tmp
        os.closerange(3, job.memfd)  # the grader's sockets, files, other sandboxes' results
        os.closerange(job.memfd + 1, os.sysconf("SC_OPEN_MAX"))
        _drop_privileges()
        sys.stdin, sys.stdout, sys.stderr = (open(os.devnull, m) for m in "rww")  # noqa: SIM115
        if job.gc:
            gc.enable()
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
        os._exit(0)
    try:
        message = ("ok", job.fn())
    except BaseException as error:  # SystemExit and KeyboardInterrupt included
        message = ("error", _describe(error))
    _send(job.memfd, message)
    os._exit(0)


def _drop_privileges() -> None:
    """Keep CAP_DAC_READ_SEARCH alone (bounding set too), and no_new_privs."""
    for cap in range(64):
        if cap != 2 and _prctl(_PR_CAPBSET_DROP, cap) != 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability
                break
            _check(-1, "prctl(PR_CAPBSET_DROP)")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)(1 << 2, 1 << 2, 0, 0, 0, 0)  # effective, permitted, inherited
    _check(_libc().capset(header, data), "capset")
    _check(_prctl(_PR_SET_NO_NEW_PRIVS, 1), "prctl(PR_SET_NO_NEW_PRIVS)")


def _quiet() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _setup_failed(error: BaseException) -> str:
    message = _describe(error)
    return message if isinstance(error, SandboxError) else f"SandboxError: {message}"[:300]


def _send(memfd: int, message: tuple[str, object]) -> None:
    """Write the pickled message after the header; a message that cannot be pickled: why."""
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        data = pickle.dumps(("error", f"SandboxError: result cannot be sent ({_describe(error)})"))
    os.pwrite(memfd, struct.pack("=q", len(data)) + data, 8)
