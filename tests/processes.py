"""Which processes are alive, read from ``/proc`` (Linux), for the tests that check that
nothing they started outlives them (a zombie has ended: it only waits to be reaped)."""

from __future__ import annotations

import os
from pathlib import Path


def is_live(pid: int | str) -> bool:
    """Whether process ``pid`` exists and has not ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):  # gone, or not a process
        return False
    return state != "Z"


def live_with(marker: str, *, held_in: str) -> list[int]:
    """Live processes whose ``/proc/PID/<held_in>`` (``cmdline``, ``environ``) holds
    ``marker``; ones not ours to read are left out."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            held = Path(f"/proc/{entry}/{held_in}").read_bytes()
        except OSError:
            continue
        if marker.encode() in held and is_live(entry):
            found.append(int(entry))
    return found
