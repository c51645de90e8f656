"""Errors of the bug catalogue: a file that cannot be read, an exercise it does not know."""

from __future__ import annotations

from typing import Any

from orderkit.classroom.errors import ClassroomError


class UnknownExercise(ClassroomError, LookupError):
    """An exercise id the kit does not know."""

    def __init__(self, exercise_id: Any, known: list[str]) -> None:
        self.exercise_id = exercise_id
        super().__init__(f"Unknown exercise {exercise_id!r}; known: {', '.join(known)}")


class CatalogueError(ClassroomError, ValueError):
    """A bug catalogue that cannot be read, or whose changes do not fit the kit's source."""
