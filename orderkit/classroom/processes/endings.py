"""How a child process ended when it did not finish its work: typed, described once."""

from __future__ import annotations

import enum
import os
import signal
from dataclasses import dataclass


class How(enum.Enum):
    """The ways a child ends early."""

    EXITED = "exited"  # it called exit with a status
    SIGNALLED = "signalled"  # a signal ended it (its own, the kernel's: SIGXCPU, SIGKILL)
    KILLED = "killed"  # its parent stopped it, past its deadline


@dataclass(frozen=True)
class Ending:
    """How a child ended: an exit status, a signal, or stopped by its parent."""

    how: How
    code: int = 0  # the exit status, or the signal's number

    @classmethod
    def of_status(cls, status: int) -> Ending:
        """The ending a wait status (:func:`os.waitpid`) describes."""
        code = os.waitstatus_to_exitcode(status)
        return cls(How.SIGNALLED, -code) if code < 0 else cls(How.EXITED, code)

    def __str__(self) -> str:
        if self.how is How.KILLED:
            return "killed by the grader"
        if self.how is How.EXITED:
            return f"exit status {self.code}"
        try:
            return f"killed by signal {signal.Signals(self.code).name}"
        except ValueError:
            return f"killed by signal {self.code}"


KILLED = Ending(How.KILLED)
