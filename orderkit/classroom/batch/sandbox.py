"""Run one function in a forked child that cannot reach the grader, the network or your files.

Where the machine allows it (:func:`probe` checks once), :func:`start` puts the child in new
namespaces (plus a user namespace when not root, mapping your uid and gid to themselves):

- PID: the submission sees only its own processes, so ``kill(getppid())``, ``killpg(0)`` and
  ``kill(-1)`` reach nothing outside; when the sandbox's PID 1 ends, the kernel kills all
  that is left inside, even processes that called ``setsid()``.
- network: a loopback that is down; no connection, not even to the grader's 127.0.0.1 ports.
- mount: the file system read-only and without device files (but /dev/null, zero, full,
  random, urandom) except the scratch folder and a fresh tmpfs on /tmp and /dev/shm (each of
  ``memory_mib``); a ``hide`` folder becomes an empty tmpfs, a ``hide`` file a device that
  cannot be opened; a fresh read-only /proc.
Then the child keeps only CAP_DAC_READ_SEARCH (it reads what the grader reads but can neither
undo the mounts nor raise its limits), sets no_new_privs, limits RLIMIT_AS and RLIMIT_FSIZE
to ``memory_mib`` and closes every inherited descriptor (the grader's sockets and files).

Not stopped: CPU time and fork bombs (no cgroups: only the parent's wall-clock kill ends
them), filling the disk under scratch, reading what the grader can read (except ``hide``),
and as root, connecting to root's Unix sockets on disk (hide /run for that). Without
namespaces (kind "process-group"; ``ORDERKIT_SANDBOX=process-group`` forces it): a session,
the limits and the scratch folder only. The submission can then signal the grader and every
process of its user (as root, ``kill(-1)`` kills the machine), use the network and write
wherever its user may, and a process that left the group with ``setsid()`` outlives it.

The parent may have threads (pytest, an ipykernel): until ``fn`` runs the child makes only
system calls, and it leaves with ``os._exit``. Call :func:`start` from a thread that outlives
the sandbox: the child dies with the thread that forked it (PR_SET_PDEATHSIG).
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
from typing import Any, ClassVar, Literal, NoReturn

from orderkit.classroom.batch.limits import Group
from orderkit.classroom.defaults import MEMORY_MIB
from orderkit.classroom.errors import ClassroomError
from orderkit.classroom.processes.endings import KILLED, Ending
from orderkit.classroom.processes.libc import libc

ENV = "ORDERKIT_SANDBOX"  # "process-group": skip namespaces (probe() reads it on each call)
NAMESPACES = "own PID, mount and network namespaces; read-only file system except its scratch "
NAMESPACES += "folder and a private /tmp"
_NEWNS, _NEWUSER, _NEWPID, _NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
_RDONLY, _NOSUID, _NODEV, _NOEXEC = 1, 2, 4, 8  # same bits for mount(2) and mount_setattr(2)
_BIND, _REC, _PRIVATE, _AT_RECURSIVE = 4096, 16384, 1 << 18, 0x8000
_PDEATHSIG, _CAPBSET_DROP, _NO_NEW_PRIVS = 1, 24, 38  # prctl(2) options
_DEVICES = ("null", "zero", "full", "random", "urandom")
_HEADER = struct.Struct("=iiq")  # result file: child's status known?, its wait status, size


@dataclass(frozen=True)
class Isolation:
    """How sandboxes are isolated here, with one line for the grades file and the report."""

    kind: Literal["namespaces", "process-group"]
    detail: str


class SandboxError(ClassroomError):
    """A sandbox could not be set up, or its result could not be read."""


class _MountAttr(ctypes.Structure):
    _fields_ = [(f, ctypes.c_uint64) for f in ("set", "clr", "propagation", "userns_fd")]


def _libc() -> ctypes.CDLL:
    found = libc()
    if found is None:
        raise SandboxError("a sandbox needs Linux's C library")
    return found


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise SandboxError(f"{what}: {errno.errorcode.get(code, code)} ({os.strerror(code)})")


def _mount(
    source: str | None, target: object, fstype: str | None, flags: int, data: str = ""
) -> None:
    args = [None if s is None else os.fsencode(s) for s in (source, str(target), fstype)]
    _check(_libc().mount(*args, ctypes.c_ulong(flags), data.encode() or None), f"mount {target}")


def _setattr(path: object, add: int = 0, clear: int = 0, flags: int = 0) -> None:
    """mount_setattr(2): syscall 442 on every architecture; variadic, so longs throughout."""
    attr, longs = _MountAttr(add, clear, 0, 0), [ctypes.c_long(n) for n in (442, -100, flags)]
    call = _libc().syscall(*longs[:2], os.fsencode(str(path)), longs[2], ctypes.byref(attr), 32)
    _check(call, f"mount_setattr {path}")


def _prctl(option: int, value: int, what: str) -> None:
    _check(_libc().prctl(option, *(ctypes.c_ulong(v) for v in (value, 0, 0, 0))), what)


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
    if (status, value) == ("ok", 2):  # the child of the new PID 1
        return Isolation("namespaces", NAMESPACES)
    why = str(value).removeprefix("SandboxError: ")
    return Isolation("process-group", f"process group only: namespaces refused ({why})")


class Sandboxed:
    """A started sandbox: wait for ``sentinel`` (a pidfd), then call :meth:`result`.

    :meth:`result` and :meth:`kill` close ``sentinel``: take it out of your wait list first.
    """

    def __init__(
        self, pid: int | None, isolation: Isolation, memfd: int, init: int | None, **kw: int
    ) -> None:
        self.pid, self.isolation = pid, isolation
        self.sentinel = os.pidfd_open(pid) if pid is not None else kw["sentinel"]
        self._memfd, self._init = memfd, init  # result file; pidfd of the sandbox's PID 1
        self._outcome: tuple[str, object] | None = None

    def handoff(self) -> list[int]:
        """The descriptors another process needs to :meth:`adopt` this sandbox (namespaces
        only: the sandbox's PID 1 reports how the child ended)."""
        if self._init is None:
            raise SandboxError("only a sandbox with namespaces can be handed over")
        return [self.sentinel, self._memfd, self._init]

    @classmethod
    def adopt(cls, fds: Sequence[int], isolation: Isolation) -> Sandboxed:
        """A sandbox started by another process (a clean zygote), from :meth:`handoff`."""
        sentinel, memfd, init = fds
        return cls(None, isolation, memfd, init, sentinel=sentinel)

    def result(self) -> tuple[str, object]:
        """("ok", value), ("error", "TypeName: text") or ("died", :class:`Ending`); reaps and
        cleans up.

        The value is unpickled from bytes the submission could have written, so only plain data,
        sets, ``PosixPath`` and orderkit's dataclasses and enums are accepted; anything else
        gives ("error", "SandboxError: unreadable result (...)").
        """
        if self._outcome is None:
            self._outcome = self._reap(None)
        return self._outcome

    def kill(self) -> None:
        """Kill the whole tree now and reap it; result() then says "died" (or what was sent)."""
        if self._outcome is None:
            with contextlib.suppress(ProcessLookupError):  # PID 1 dies, the kernel empties
                pidfd = self.sentinel if self._init is None else self._init  # the namespace
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)  # and the first child reaps
            self._outcome = self._reap(KILLED)

    def _reap(self, killed: Ending | None) -> tuple[str, object]:
        group = self.isolation.kind == "process-group"
        if self.pid is None:  # adopted: its own parent reaps it; PID 1 wrote how it ended
            select.select([self.sentinel], [], [])
            status = 0
        else:
            if group:  # before waitpid: the unreaped leader keeps the group's id from reuse
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
            status = os.waitpid(self.pid, 0)[1]
        for _ in range(1000 if group else 0):  # until init has reaped the group's last member
            try:
                os.killpg(self.pid or 0, 0)
                time.sleep(0.001)
            except ProcessLookupError:
                break
        data = os.pread(self._memfd, os.fstat(self._memfd).st_size, 0).ljust(_HEADER.size, b"\0")
        for fd in (self.sentinel, self._memfd, self._init):
            if fd is not None:
                os.close(fd)
        known, child_status, size = _HEADER.unpack(data[: _HEADER.size])
        if size and len(data) == _HEADER.size + size:
            try:
                word, value = _Unpickler(io.BytesIO(data[_HEADER.size :])).load()
                if word not in ("ok", "error"):
                    raise pickle.UnpicklingError(f"status {word!r}")
                return (word, value)
            except Exception as error:
                return ("error", f"SandboxError: unreadable result ({_describe(error)})"[:300])
        return ("died", killed or Ending.of_status(child_status if known else status))


class _Unpickler(pickle.Unpickler):
    """Plain data and orderkit's dataclasses and enums only: the child wrote these bytes."""

    SAFE: ClassVar = {("builtins", "set"), ("builtins", "frozenset"), ("pathlib", "PosixPath")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.SAFE:
            return super().find_class(module, name)
        ours = sys.modules.get(module) if module.partition(".")[0] == "orderkit" else None
        found = getattr(ours, name, None)
        if isinstance(found, type) and (
            dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)
        ):
            return found
        raise pickle.UnpicklingError(f"the result refers to {module}.{name}, which is refused")


@dataclass(frozen=True)
class _Job:
    fn: Callable[[], object]
    memfd: int
    scratch: Path
    hide: list[Path]
    memory_mib: int
    grader: int
    gc: bool
    keep: list[Path]  # what the grading process reads, even where a private /tmp covers it
    fds: tuple[int, ...] = ()  # descriptors the child keeps (a clean run's result)
    cpu_seconds: float | None = None  # RLIMIT_CPU of the child
    group: Group | None = None  # control groups the sandbox joins first


def start(
    fn: Callable[[], object],
    *,
    scratch: Path,
    hide: Sequence[Path] = (),
    memory_mib: int = MEMORY_MIB,
    isolation: Isolation | None = None,
    keep: Sequence[int] = (),
    cpu_seconds: float | None = None,
    group: Group | None = None,
) -> Sandboxed:
    """Fork, and run ``fn()`` in a sandbox as the module's docstring says; do not wait for it.

    With namespaces this returns once the sandbox's PID 1 exists.
    ``keep``: descriptors the child keeps open (inheritable, for a child that ``exec``s);
    ``cpu_seconds``: the child's RLIMIT_CPU; ``group``: control groups joined first.
    """
    isolation = isolation or probe()
    scratch = Path(scratch).resolve()
    hidden = [p for p in (Path(p).resolve() for p in hide) if p.exists()]  # gone: nothing to hide
    if not scratch.exists():
        raise SandboxError(f"no such file or folder: {scratch}")
    if not scratch.is_dir():
        raise SandboxError(f"the scratch folder is not a folder: {scratch}")
    memfd = os.memfd_create("orderkit-sandbox-result", os.MFD_CLOEXEC)
    job = _Job(
        fn,
        memfd,
        scratch,
        hidden,
        memory_mib,
        os.getpid(),
        gc.isenabled(),
        _kept(),
        tuple(keep),
        cpu_seconds,
        group,
    )
    _libc()
    if isolation.kind == "process-group":
        if (pid := os.fork()) == 0:
            _run(job, namespaced=False)
        return Sandboxed(pid, isolation, memfd, None)
    ours, theirs = socket.socketpair()
    if (pid := os.fork()) == 0:
        ours.close()
        _first(job, theirs)
    theirs.close()
    with ours:  # the first child sends a pidfd of PID 1 (nothing if it failed before)
        fds = socket.recv_fds(ours, 1, 1)[1]
    return Sandboxed(pid, isolation, memfd, fds[0] if fds else None)


def _first(job: _Job, channel: socket.socket) -> NoReturn:
    """First child, still in the grader's PID namespace: unshare, start PID 1, reap it."""
    try:
        gc.disable()  # no finalizer of an object inherited from the grader runs here
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a zygote ignores it; PID 1 waits
        _own_session(job)
        if job.group is not None:
            job.group.join()
        _close_inherited(job.memfd, channel.fileno(), *job.fds)
        uid, gid = os.geteuid(), os.getegid()
        flags = _NEWNS | _NEWPID | _NEWNET | (_NEWUSER if uid else 0)
        what, unshare = "unshare(user, mount, pid, net)", getattr(os, "unshare", None)  # 3.12+
        try:
            _check(_libc().unshare(flags) if unshare is None else (unshare(flags) or 0), what)
        except OSError as error:
            raise SandboxError(f"{what}: {error}") from None
        if uid:
            for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
                Path(f"/proc/self/{name}").write_text(line)
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        me = os.pidfd_open(os.getpid())
        if (init := os.fork()) == 0:
            channel.close()
            _init(job, me)
        socket.send_fds(channel, [b"1"], [os.pidfd_open(init)])
        status = os.waitpid(init, 0)[1]
        if not os.pread(job.memfd, 4, 0).strip(b"\0"):  # PID 1 died before its child's status
            os.pwrite(job.memfd, struct.pack("=ii", 1, status), 0)
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
    os._exit(0)


def _init(job: _Job, first: int) -> NoReturn:
    """PID 1 of the new namespaces: mount, fork the child that runs ``fn``, reap, report."""
    try:
        _prctl(_PDEATHSIG, signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
        poll = select.poll()
        poll.register(first)
        if poll.poll(0):  # the first child died before prctl
            os._exit(1)
        os.close(first)
        os.setsid()  # out of the first child's group: killpg(0) inside cannot reach it
        _mount_all(job)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        if (child := os.fork()) == 0:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            _run(job, namespaced=True)
        while (reaped := os.waitpid(-1, 0))[0] != child:
            pass  # the submission's orphans come here
        os.pwrite(job.memfd, struct.pack("=ii", 1, reaped[1]), 0)
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
    os._exit(0)


def _kept() -> list[Path]:
    """Python and its packages: read inside, even if they live under /tmp."""
    found = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found |= {Path(p).resolve() for p in sys.path if p and "-packages" in p and os.path.isdir(p)}
    under = {f for f in found if any(f.is_relative_to(t) for t in ("/tmp", "/dev/shm"))}
    return sorted(f for f in under if not any(o in f.parents for o in under))  # outermost


def _mount_all(job: _Job) -> None:
    """Read-only, device-free file system; writable scratch; private /tmp, /dev/shm, /proc."""
    _mount(None, "/", None, _REC | _PRIVATE)  # nothing propagates back to the grader
    scratch = os.open(job.scratch, os.O_PATH | os.O_DIRECTORY)
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in job.keep]
    for path in job.hide:
        if path.is_dir():
            _mount("tmpfs", path, "tmpfs", _RDONLY | _NOSUID | _NODEV, "mode=000")
        else:
            _mount("/dev/null", path, None, _BIND)
    for device in _DEVICES:
        _mount(f"/dev/{device}", f"/dev/{device}", None, _BIND)
    _setattr("/", _RDONLY | _NOSUID | _NODEV, flags=_AT_RECURSIVE)
    for device in _DEVICES:
        _setattr(f"/dev/{device}", clear=_NODEV)
    for folder in ("/tmp", "/dev/shm"):
        if os.path.isdir(folder):
            _mount("tmpfs", folder, "tmpfs", _NOSUID | _NODEV, f"size={job.memory_mib}m,mode=1777")
    for path, fd in kept:  # a checkout or venv under /tmp: read-only, as everywhere else
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, _BIND | _REC)
        _setattr(path, _RDONLY | _NOSUID | _NODEV, flags=_AT_RECURSIVE)
        os.close(fd)
    os.makedirs(job.scratch, exist_ok=True)  # a scratch under /tmp is hidden by now
    _mount(f"/proc/self/fd/{scratch}", job.scratch, None, _BIND)
    _setattr(job.scratch, clear=_RDONLY)
    os.close(scratch)
    _mount("proc", "/proc", "proc", _RDONLY | _NOSUID | _NODEV | _NOEXEC)


def _run(job: _Job, *, namespaced: bool) -> NoReturn:
    """The child that runs ``fn``: limits, folders, descriptors, privileges, then ``fn``."""
    message: tuple[str, object]
    try:
        if not namespaced:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _own_session(job)
            if job.group is not None:
                job.group.join()
        tmp = "/tmp/sandbox" if namespaced else str(job.scratch / ".tmp")
        os.makedirs(tmp, exist_ok=True)
        for which in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE):
            resource.setrlimit(which, (job.memory_mib << 20, job.memory_mib << 20))
        if job.cpu_seconds is not None:
            seconds = max(1, round(job.cpu_seconds))
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        os.chdir(job.scratch)
        os.environ["TMPDIR"] = tempfile.tempdir = tmp
        _close_inherited(job.memfd, *job.fds)
        for fd in job.fds:
            os.set_inheritable(fd, True)
        _drop_privileges()
        sys.stdin, sys.stdout, sys.stderr = (open(os.devnull, m) for m in "rww")  # noqa: SIM115
        if job.gc:
            gc.enable()
    except BaseException as error:
        _send(job.memfd, ("error", _setup_failed(error)))
        os._exit(0)
    try:
        message = ("ok", job.fn())
    except BaseException as error:  # SystemExit and KeyboardInterrupt too
        message = ("error", _describe(error))
    _send(job.memfd, message)
    os._exit(0)


def _own_session(job: _Job) -> None:
    """Output to /dev/null, a session of its own, and death with the grader's thread."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.setsid()
    _prctl(_PDEATHSIG, signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != job.grader:  # the grader died before prctl
        os._exit(1)


def _close_inherited(*keep: int) -> None:
    """Close the grader's sockets, pipes and files (and other sandboxes' results)."""
    for low, high in zip(
        (2, *sorted(keep)), (*sorted(keep), os.sysconf("SC_OPEN_MAX")), strict=True
    ):
        os.closerange(low + 1, high)


def _drop_privileges() -> None:
    """Keep CAP_DAC_READ_SEARCH alone, if held, also in the bounding set; then no_new_privs."""
    for cap in (c for c in range(64) if c != 2):
        if _libc().prctl(_CAPBSET_DROP, ctypes.c_ulong(cap), *[ctypes.c_ulong(0)] * 3):
            if ctypes.get_errno() in (errno.EINVAL, errno.EPERM):  # past the last one; no
                break  # CAP_SETPCAP, so an unprivileged process, which no_new_privs keeps so
            _check(-1, "prctl(PR_CAPBSET_DROP)")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    if _libc().capset(header, (ctypes.c_uint32 * 6)(4, 4, 0, 0, 0, 0)):  # not held: keep none
        _check(_libc().capset(header, (ctypes.c_uint32 * 6)()), "capset")
    _prctl(_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")


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
