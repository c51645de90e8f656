"""The exit statuses of the ``orderkit`` command line, one meaning each."""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    """What ``orderkit``'s exit status says."""

    OK = 0
    """Everything asked was done: every submission graded, every check passed."""
    INCOMPLETE = 1
    """It ran, but not all went well: a submission could not be graded, a check failed."""
    USAGE = 2
    """Nothing was done: wrong arguments, an unknown exercise, a broken catalogue."""
