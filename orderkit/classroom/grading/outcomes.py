"""What the runs of one set of tests found, before it is summarised into verdicts.

``check()``'s runs (:mod:`orderkit.classroom.grading.engine`) and the batch's clean runs
(:mod:`orderkit.classroom.batch.plan`) both fill one :class:`Raw`; the verdicts are
computed from it in one place (:mod:`orderkit.classroom.grading.results`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orderkit.classroom.runtime.measure import Arcs
from orderkit.classroom.runtime.testrun import Ran


@dataclass
class Raw:
    """Everything the runs found, before it is summarised."""

    tests: list[str] = field(default_factory=list)
    uncollected: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    outcomes: dict[str, dict[str, Ran]] = field(default_factory=dict)  # impl -> test
    probes: list[dict[str, Ran]] = field(default_factory=list)
    isolation: str = ""
    error: str = ""  # the grader itself failed
    arcs: Arcs | None = None  # the hint run's coverage (the hints alone; never a verdict)
    hints_note: str = ""  # why there are no hints where there could be
