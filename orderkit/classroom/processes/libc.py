"""The C library, looked up once for every kind of child (Linux only)."""

from __future__ import annotations

import ctypes
import functools
import signal
import sys

NEEDED = ("unshare", "mount", "prctl", "syscall", "capset")
PR_SET_PDEATHSIG = 1


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library with :data:`NEEDED` resolved, or None where there is none to call.

    Resolved here, in the parent: ``dlsym`` takes a lock that a forked child may find held,
    and building the library object in every child writes pages it would have to copy.
    """
    if sys.platform != "linux":
        return None
    try:
        library = ctypes.CDLL(None, use_errno=True)
        for name in NEEDED:
            getattr(library, name)
    except (OSError, AttributeError):
        return None
    return library


def die_with_parent() -> None:
    """End this process when the one that started it dies (Linux; elsewhere nothing).

    A run in its own session or namespace would otherwise outlive a grader or a kernel
    that was killed.
    """
    library = libc()
    if library is not None:
        library.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
