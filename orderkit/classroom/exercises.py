"""The classroom exercises and which bugs each one's tests are graded against."""

from __future__ import annotations

from dataclasses import dataclass

from orderkit.classroom.chaffs import CHAFFS
from orderkit.classroom.implementations import LEVELS, Implementation, Level
from orderkit.errors import UnknownExercise


@dataclass(frozen=True)
class Exercise:
    """An exercise notebook's id, title and the levels of bug its tests must catch."""

    id: str
    title: str
    levels: tuple[Level, ...]

    def chaffs(self) -> tuple[Implementation, ...]:
        """The bugs of this exercise's levels, in catalogue order."""
        return tuple(chaff for chaff in CHAFFS if chaff.level in self.levels)


EXERCISES: dict[str, Exercise] = {
    exercise.id: exercise
    for exercise in (
        Exercise("unit-tests", "Unit tests and test doubles", ("unit",)),
        Exercise(
            "integration-tests",
            "Integration tests: services, database, concurrency",
            ("integration", "database", "concurrency"),
        ),
        Exercise("all", "Every bug in the catalogue", LEVELS),
    )
}


def exercise(exercise_id: str) -> Exercise:
    """Return the exercise named ``exercise_id``, or raise a clear error listing the ids."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise UnknownExercise(exercise_id, sorted(EXERCISES)) from None
