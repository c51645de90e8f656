"""Fair shares for sandboxed runs: a bounded number of processes, an equal share of the CPU.

A run that starts hundreds of busy processes must cost only itself. Where the grader may
make control groups (root, or a delegated cgroup v2 subtree), each run gets its own: at
most :data:`MAX_PROCESSES` processes (``pids.max``), and the same CPU weight as every other
run, however many processes it has (``cpu.shares`` on cgroup v1, ``cpu.weight`` on v2).
Elsewhere runs are not bounded this way, and the grades file says so (``limits`` column);
tests are timed by their own CPU time in any case (:mod:`orderkit.classroom.runtime.testrun`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MAX_PROCESSES = 64
ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Group:
    """One run's control groups: join them from inside with :meth:`join`."""

    folders: tuple[Path, ...]

    def join(self) -> None:
        """Move the calling process into every folder (its children follow)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text("0")

    def hit_process_limit(self) -> bool:
        """Whether a fork was refused because of ``pids.max``."""
        for folder in self.folders:
            events = folder / "pids.events"
            with contextlib.suppress(OSError, ValueError):
                for line in events.read_text().splitlines():
                    key, _, count = line.partition(" ")
                    if key == "max" and int(count) > 0:
                        return True
        return False

    def remove(self) -> None:
        """Remove the folders once every process in them has ended."""
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()


@functools.cache
def _layout() -> tuple[str, tuple[Path, ...]] | None:
    """("v1", (pids, cpu)) or ("v2", (base,)) where this process may make groups, else None."""
    mine = f"orderkit-{os.getpid()}"
    v1 = (ROOT / "pids", ROOT / "cpu")
    if all((p / "cgroup.procs").exists() for p in v1):
        try:
            for parent in v1:
                _sweep(parent)
                (parent / mine).mkdir(exist_ok=True)
            return "v1", tuple(parent / mine for parent in v1)
        except OSError:
            return None
    if (ROOT / "cgroup.controllers").exists():
        own = _own_v2()
        try:
            _sweep(own)
            base = own / mine
            base.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+pids +cpu")
            return "v2", (base,)
        except OSError:
            return None
    return None


def _sweep(parent: Path) -> None:
    """Remove the empty folders of graders that were killed before they could."""
    for old in parent.glob("orderkit-*"):
        pid = old.name.removeprefix("orderkit-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for folder in sorted(old.glob("*/"), reverse=True):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            with contextlib.suppress(OSError):
                old.rmdir()


def _own_v2() -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return ROOT / line[3:].lstrip("/")
    return ROOT


def release() -> None:
    """Remove this process's own folders (at the end of a batch; runs' groups are gone)."""
    layout = _layout()
    if layout is not None:
        for base in layout[1]:
            with contextlib.suppress(OSError):
                base.rmdir()
    _layout.cache_clear()


def available() -> bool:
    """Whether runs get their own process bound and CPU share here."""
    found = _layout() is not None
    release()
    return found


def new_group() -> Group | None:
    """A fresh group for one run, or None where groups cannot be made here."""
    layout = _layout()
    if layout is None:
        return None
    kind, bases = layout
    name = secrets.token_hex(6)
    try:
        folders = tuple(base / name for base in bases)
        for folder in folders:
            folder.mkdir()
        if kind == "v1":
            (folders[0] / "pids.max").write_text(str(MAX_PROCESSES))
            (folders[1] / "cpu.shares").write_text("1024")
        else:
            (folders[0] / "pids.max").write_text(str(MAX_PROCESSES))
            (folders[0] / "cpu.weight").write_text("100")
    except OSError:
        return None
    return Group(folders)
