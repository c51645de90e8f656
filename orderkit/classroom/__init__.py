"""Classroom tools: a bug catalogue, instant feedback, student versions, batch grading."""

from orderkit.classroom.chaffs import CHAFFS
from orderkit.classroom.exercises import EXERCISES, Exercise
from orderkit.classroom.feedback import check
from orderkit.classroom.implementations import LEVELS, WHEAT, Implementation, Level
from orderkit.classroom.results import ChaffResult, CheckResult

__all__ = [
    "CHAFFS",
    "EXERCISES",
    "LEVELS",
    "WHEAT",
    "ChaffResult",
    "CheckResult",
    "Exercise",
    "Implementation",
    "Level",
    "check",
]
