"""A teacher's course folder, read from its ``course.toml``.

::

    my-course/
      course.toml            # this file: name, catalogues, exercises, deadline, roster
      source/*.ipynb         # instructor notebooks (solutions, hidden tests)
      bugs.toml              # public bugs: handed out, students' check() uses them
      private/bugs.toml      # private bugs and wheats: grade only, never handed out

``course.toml`` has a ``[course]`` table (``name``, ``bugs`` and ``private``: catalogue files
relative to it, ``kit_bugs``: include the kit's own catalogue, default true, ``deadline``,
``roster``) and any number of ``[[exercise]]`` tables (see :mod:`.exercises`). A student's
``check("id")`` finds the course from the notebook's folder upwards (:meth:`Course.find`),
the way pytest finds its rootdir; a released student folder holds a public ``course.toml``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.bugs.catalogue import Catalogue, load, read_toml
from orderkit.classroom.bugs.errors import CatalogueError
from orderkit.classroom.bugs.exercises import Exercise, parse_exercise

FILE = "course.toml"
_KEYS = {"name", "bugs", "private", "kit_bugs", "deadline", "roster"}


@dataclass(frozen=True)
class Course:
    """A course: its catalogues (public and private), exercises, deadline and roster."""

    name: str
    root: Path  # the folder of course.toml: every path in it is relative to this
    bugs: tuple[Path, ...] = ()
    private: tuple[Path, ...] = ()
    kit_bugs: bool = True
    deadline: dt.datetime | None = None
    roster: Path | None = None
    exercises: tuple[Exercise, ...] = ()  # those declared in course.toml itself

    @property
    def path(self) -> Path:
        return self.root / FILE

    @classmethod
    def read(cls, path: Path) -> Course:
        """Read ``path`` (a ``course.toml``, or the folder holding one); clear errors."""
        path = Path(path)
        if path.is_dir():
            path = path / FILE
        if not path.exists():
            raise CatalogueError(f"{path}: no such file (a course folder holds a {FILE})")
        data = read_toml(path, "course file")
        where = path.name
        extra = set(data) - {"course", "exercise"}
        if extra:
            raise CatalogueError(f"{where}: unknown table(s) {', '.join(sorted(extra))}")
        course = data.get("course", {})
        if not isinstance(course, dict):
            raise CatalogueError(f"{where}: [course] must be a table")
        unknown = set(course) - _KEYS
        if unknown:
            raise CatalogueError(
                f"{where}: unknown key(s) in [course]: {', '.join(sorted(unknown))}"
            )
        root = path.parent.resolve()
        kit_bugs = course.get("kit_bugs", True)
        if not isinstance(kit_bugs, bool):
            raise CatalogueError(f"{where}: kit_bugs must be true or false, not {kit_bugs!r}")
        roster = course.get("roster")
        if roster is not None and not isinstance(roster, str):
            raise CatalogueError(f"{where}: roster must be a file name, not {roster!r}")
        return cls(
            name=str(course.get("name") or root.name),
            root=root,
            bugs=_files(course, "bugs", root, where),
            private=_files(course, "private", root, where),
            kit_bugs=kit_bugs,
            deadline=_deadline(course.get("deadline"), where),
            roster=None if roster is None else root / roster,
            exercises=tuple(
                parse_exercise(raw, f"{where}: exercise {number}")
                for number, raw in enumerate(data.get("exercise", ()), start=1)
            ),
        )

    @classmethod
    def find(cls, start: Path) -> Course | None:
        """The course whose ``course.toml`` is in ``start`` or its nearest parent, or None."""
        start = Path(start).resolve()
        for folder in (start, *start.parents):
            if (folder / FILE).is_file():
                return cls.read(folder / FILE)
        return None

    def catalogue(self, private: bool) -> Catalogue:
        """The course's catalogue: public files (and, for the batch, private ones too)."""
        return load(
            self.bugs,
            private=self.private if private else (),
            shipped=self.kit_bugs,
            exercises=self.exercises,
        )

    def public_toml(self, hidden: Sequence[str] = ()) -> str:
        """The course file a student folder holds: no private catalogue, no roster.

        ``hidden`` are the names of private entries: an exercise's ``bugs`` loses them, so
        the student's copy does not even name a hidden bug.
        """
        lines = ["# The course, as handed to students (orderkit release): public parts only.", ""]
        lines += ["[course]", f"name = {_quoted(self.name)}"]
        bugs = [f.relative_to(self.root).as_posix() for f in self.bugs]
        lines.append(f"bugs = [{', '.join(map(_quoted, bugs))}]")
        lines.append(f"kit_bugs = {'true' if self.kit_bugs else 'false'}")
        if self.deadline is not None:
            lines.append(f"deadline = {_quoted(self.deadline.isoformat())}")
        for exercise in self.exercises:
            lines += ["", "[[exercise]]", f"id = {_quoted(exercise.id)}"]
            lines.append(f"title = {_quoted(exercise.title)}")
            if exercise.levels:
                lines.append(f"levels = [{', '.join(map(_quoted, exercise.levels))}]")
            shown = [b for b in exercise.bugs if b not in hidden]
            if shown:
                lines.append(f"bugs = [{', '.join(map(_quoted, shown))}]")
            lines.append(f"points = {exercise.points!r}")
            if exercise.hints:
                lines.append(f"hints = [{', '.join(map(_quoted, exercise.hints))}]")
        return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _files(course: dict[str, Any], key: str, root: Path, where: str) -> tuple[Path, ...]:
    value = course.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of catalogue files")
    files = tuple(root / v for v in value)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CatalogueError(
            f"{where}: {key} names file(s) that do not exist: {', '.join(missing)}"
        )
    return files


def _deadline(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CatalogueError(
                f"{where}: deadline {value!r} is not a date and time such as "
                "2026-12-10T23:59:00+01:00"
            ) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    if not isinstance(value, dt.datetime):
        raise CatalogueError(f"{where}: deadline must be a date and time, not {value!r}")
    if value.tzinfo is None:
        raise CatalogueError(
            f"{where}: deadline {value.isoformat()} needs a time zone, e.g. +01:00 or Z"
        )
    return value


def for_notebook(folder: Path, bugs: Sequence[str | Path] = ()) -> Catalogue:
    """The public catalogue a student's ``check()`` grades with, from the notebook's folder.

    The course is found from ``folder`` upwards (its public catalogues, its exercises);
    ``bugs`` are more catalogue files, relative to ``folder`` unless absolute. A file that
    is not there is an error saying where it was looked for. Private entries never reach
    a student: the result is always :meth:`Catalogue.public`.
    """
    folder = Path(folder).resolve()
    extra = []
    for given in bugs:
        path = folder / Path(given).expanduser()
        if not path.is_file():
            raise CatalogueError(
                f"bugs={str(given)!r}: no such file; looked for {path} "
                "(relative paths start at the notebook's folder)"
            )
        extra.append(path.resolve())
    course = Course.find(folder)
    if course is None:
        return load(extra).public()
    files = [*course.bugs, *(p for p in extra if p not in {b.resolve() for b in course.bugs})]
    return load(files, shipped=course.kit_bugs, exercises=course.exercises).public()
