"""Exercises as data: an id, a title, the bugs that grade it (by level or by name), points.

An exercise is declared by an ``[[exercise]]`` table, in a catalogue file (the kit's own
``bugs.toml`` declares ``unit-tests``, ``integration-tests`` and ``all``) or in a course's
``course.toml``. Which chaffs grade which exercise is decided once, when a catalogue is
loaded (:func:`assign`), by one documented rule:

1. an entry with ``exercises = [...]`` grades exactly those exercises;
2. an entry without it grades, by its ``level``, the exercises of its *home*: the exercises
   declared in its own file if that file declares any, else those the course declares
   (``course.toml`` and the teacher's other files) if there are any, else the kit's;
3. an exercise's ``bugs = ["name", "pattern-*"]`` adds entries by name (shell-style
   patterns: the kit's ``all`` is ``bugs = ["*"]``).

So a teacher's integration bug never joins the kit's ``integration-tests`` once the teacher
declares an exercise of their own, and the kit's bugs reach a teacher's exercise only when
it names them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orderkit.classroom.bugs.errors import CatalogueError
from orderkit.classroom.bugs.kitpatch import kit_files

Level = Literal["unit", "integration", "database", "concurrency"]
"""The lowest kind of test that catches a bug.

* ``unit``: one service alone (the other one replaced by a test double, if needed);
* ``integration``: the two real services together;
* ``database``: a real SQLite file, often closed and reopened;
* ``concurrency``: several threads or processes ordering at once.
"""
LEVELS: tuple[Level, ...] = ("unit", "integration", "database", "concurrency")
_KEYS = {"id", "title", "levels", "bugs", "points", "hints"}


@dataclass(frozen=True)
class Exercise:
    """An exercise: its id, title, the chaffs that grade it and its maximum points."""

    id: str
    title: str
    levels: tuple[Level, ...] = ()
    bugs: tuple[str, ...] = ()  # entry names or shell-style patterns ("*": every bug)
    points: float = 100.0
    hints: tuple[str, ...] = ()  # kit files and "Class.method" patterns the coverage hints keep

    def names(self, name: str) -> bool:
        """Whether ``bugs`` selects the entry called ``name``."""
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.bugs)


def parse_exercise(raw: Any, where: str) -> Exercise:
    """One ``[[exercise]]`` table, checked: a clear error naming ``where`` on any flaw."""
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: an exercise is a table with id, title, levels, bugs")
    unknown = set(raw) - _KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    exercise_id = raw.get("id")
    if (
        not isinstance(exercise_id, str)
        or not exercise_id.strip()
        or exercise_id != exercise_id.strip()
    ):
        raise CatalogueError(f"{where}: every exercise needs an id (text, no spaces around it)")
    where = f"{where} (exercise {exercise_id!r})"
    levels = raw.get("levels", [])
    if not isinstance(levels, list) or any(level not in LEVELS for level in levels):
        raise CatalogueError(f"{where}: levels must be a list of {', '.join(LEVELS)}")
    return Exercise(
        id=exercise_id,
        title=str(raw.get("title") or exercise_id),
        levels=tuple(levels),
        bugs=names(raw, "bugs", where),
        points=positive(raw, "points", 100.0, where),
        hints=hint_scope(raw, where),
    )


def hint_scope(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    """``raw["hints"]``: kit files (``"inventory.py"``) and qualified names or shell-style
    patterns of the kit's functions (``"OrderService.create_order"``, ``"InventoryService.*"``)
    that narrow the exercise's coverage hints; a clear error on anything else."""
    value = names(raw, "hints", where)
    files = kit_files()
    for item in value:
        if item.endswith(".py") and item not in files:
            raise CatalogueError(
                f"{where}: hints names {item!r}, not a file of the kit; its files: "
                f"{', '.join(files)}"
            )
        if not item.endswith(".py") and not re.fullmatch(r"[A-Za-z_*?\[\]][\w.*?\[\]]*", item):
            raise CatalogueError(
                f"{where}: hints entries are kit files (inventory.py) or function names "
                f"(OrderService.create_order, InventoryService.*), not {item!r}"
            )
    return value


def names(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """``raw[key]``, a list of names (default empty), or a clear error."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of names")
    return tuple(value)


def positive(raw: dict[str, Any], key: str, default: float, where: str) -> float:
    """``raw[key]``, a positive number (``default`` when absent), or a clear error."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise CatalogueError(f"{where}: {key} must be a positive number, not {value!r}")
    return float(value)


def declared(found: Sequence[tuple[str, Exercise]]) -> dict[str, Exercise]:
    """Exercises by id from (where, exercise) pairs; an id declared twice is an error."""
    known: dict[str, Exercise] = {}
    places: dict[str, str] = {}
    for where, exercise in found:
        if exercise.id in known:
            raise CatalogueError(
                f"{where}: exercise {exercise.id!r} is already declared in {places[exercise.id]}"
            )
        known[exercise.id] = exercise
        places[exercise.id] = where
    return known


@dataclass(frozen=True)
class Entry:
    """What :func:`assign` needs to know of one chaff."""

    name: str
    level: Level
    exercises: tuple[str, ...]  # as written: empty means "by the default rule"
    home: tuple[str, ...]  # the exercises its default rule draws from (rule 2)


def assign(entry: Entry, exercises: Mapping[str, Exercise]) -> tuple[str, ...]:
    """The ids of the exercises that ``entry`` grades, in declaration order (rules 1-3)."""
    grades = []
    for exercise in exercises.values():
        if entry.exercises:
            chosen = exercise.id in entry.exercises
        else:
            chosen = exercise.id in entry.home and entry.level in exercise.levels
        if chosen or exercise.names(entry.name):
            grades.append(exercise.id)
    return tuple(grades)
