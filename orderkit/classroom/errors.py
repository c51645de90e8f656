"""The classroom tools' own errors, rooted in the kit's one hierarchy (:class:`OrderkitError`)."""

from __future__ import annotations

from typing import Any

from orderkit.errors import OrderkitError


class ClassroomError(OrderkitError):
    """A classroom tool (check, release, grade, bugs) was given something it cannot use."""


class UnknownExercise(ClassroomError, LookupError):
    """An exercise id the kit does not know."""

    def __init__(self, exercise_id: Any, known: list[str]) -> None:
        self.exercise_id = exercise_id
        super().__init__(f"Unknown exercise {exercise_id!r}; known: {', '.join(known)}")


class ReleaseError(ClassroomError, ValueError):
    """An instructor notebook that cannot be turned into a student version safely."""


class CatalogueError(ClassroomError, ValueError):
    """A bug catalogue that cannot be read, or whose changes do not fit the kit's source."""


class GradingError(ClassroomError):
    """Grading could not be done: the grader itself failed, not the student's tests."""
