"""The implementations that grade students' tests, read from a TOML catalogue.

Examplar's model (Wrenn, Krishnamurthi & Fisler, "Who Tests the Testers?", ICER 2018):

* **wheats** are correct implementations that differ only in what the written contract
  leaves open; a test is valid only if it passes on every one of them;
* **chaffs** are realistic buggy implementations; a valid test *catches* one by failing;
* **misconceptions** are wrong readings of the contract; a test that fails on the wheats
  but passes on one is told which belief it encodes.

Every implementation is data: changes to the kit's correct source (see
:mod:`orderkit.classroom.bugs.kitpatch`), a title, a level and a hint. The kit's own catalogue
is ``bugs.toml`` beside this module; a teacher adds entries in a file of the same format.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from orderkit.classroom.bugs.errors import CatalogueError, UnknownExercise
from orderkit.classroom.bugs.exercises import LEVELS as LEVELS
from orderkit.classroom.bugs.exercises import (
    Entry,
    assign,
    declared,
    names,
    parse_exercise,
    positive,
)
from orderkit.classroom.bugs.exercises import Exercise as Exercise
from orderkit.classroom.bugs.exercises import Level as Level
from orderkit.classroom.bugs.kitpatch import Change, compiled, patched_sources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Kind = Literal["wheat", "chaff", "misconception"]
KINDS: tuple[Kind, ...] = ("wheat", "chaff", "misconception")
SHIPPED = Path(__file__).with_name("bugs.toml")
_KEYS = {
    "name",
    "title",
    "level",
    "hint",
    "detail",
    "rule",
    "belief",
    "change",
    "same_as",
    "exercises",
    "weight",
}


@dataclass(frozen=True)
class Implementation:
    """One implementation of the kit: the correct source plus ``changes``."""

    kind: Kind
    name: str
    title: str = ""
    level: Level = "unit"
    hint: str = ""
    detail: str = ""  # wheats: the unspecified detail this one does differently
    rule: str = ""  # wheats that differ in *how* only: a test failing here is over-specified
    belief: str = ""  # misconceptions: the wrong belief a test passing here encodes
    changes: tuple[Change, ...] = ()
    exercises: tuple[str, ...] = ()  # as written; empty: the default rule (see exercises.py)
    private: bool = False  # read from a private catalogue: batch grading only, never shown
    weight: float = 1.0  # a chaff's weight in the points of an exercise
    grades: tuple[str, ...] = ()  # chaffs: the exercises it grades, decided when loaded

    def sources(self) -> dict[str, str]:
        """The changed modules' source, checked to apply and compile."""
        return patched_sources(self.changes, f"{self.kind} {self.name!r}")

    def code(self) -> dict[str, types.CodeType]:
        """The changed modules compiled, ready to load (cached: the kit's files are fixed)."""
        return _code(self)


@functools.cache
def _code(implementation: Implementation) -> dict[str, types.CodeType]:
    return compiled(implementation.sources())


@dataclass(frozen=True)
class Catalogue:
    """Every implementation, in file order: wheats first, the reference wheat first of all.

    ``exercises`` are the exercises declared by the files it was read from (and the course);
    ``files`` the catalogue files, private ones included (the batch hides them from tests).
    """

    implementations: tuple[Implementation, ...]
    files: tuple[Path, ...] = field(default=())
    exercises: Mapping[str, Exercise] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> tuple[Implementation, ...]:
        return tuple(i for i in self.implementations if i.kind == kind)

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise declared as ``exercise_id``, or :class:`UnknownExercise` listing ids."""
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise UnknownExercise(exercise_id, list(self.exercises)) from None

    def for_exercise(self, exercise_id: str | None) -> Catalogue:
        """The wheats, the misconceptions and the chaffs that grade ``exercise_id``."""
        if exercise_id is None:
            return self
        chosen = self.exercise(exercise_id)

        def belongs(implementation: Implementation) -> bool:
            if implementation.kind == "chaff":
                return exercise_id in implementation.grades
            written = implementation.exercises
            return not written or exercise_id in written or chosen.names(implementation.name)

        return replace(self, implementations=tuple(filter(belongs, self.implementations)))

    def public(self) -> Catalogue:
        """Without the private entries: what a student's ``check()`` may know of."""
        return replace(
            self, implementations=tuple(i for i in self.implementations if not i.private)
        )

    def named(self, name: str) -> Implementation:
        for implementation in self.implementations:
            if implementation.name == name:
                return implementation
        raise CatalogueError(f"no implementation named {name!r} in the catalogue")


def exercise(exercise_id: str) -> Exercise:
    """The kit's exercise named ``exercise_id``, or a clear error listing the kit's ids.

    A course's exercises are :meth:`Catalogue.exercise`'s; this knows the kit's only.
    """
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise UnknownExercise(exercise_id, list(EXERCISES)) from None


def _entry(kind: Kind, raw: dict[str, Any], where: str, known: dict[str, Any]) -> Implementation:
    unknown = set(raw) - _KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: every entry needs a name")
    where = f"{where} ({kind} {name!r})"
    level = raw.get("level", "unit")
    if level not in LEVELS:
        raise CatalogueError(f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}")
    if kind == "chaff" and not (raw.get("title") and raw.get("hint")):
        raise CatalogueError(f"{where}: a chaff needs a title and a hint")
    if kind == "misconception" and not raw.get("belief"):
        raise CatalogueError(f"{where}: a misconception needs a belief")
    if "same_as" in raw:
        if "change" in raw:
            raise CatalogueError(f"{where}: give either same_as or changes, not both")
        if raw["same_as"] not in known:
            raise CatalogueError(f"{where}: same_as {raw['same_as']!r} is not defined before it")
        changes = known[raw["same_as"]].changes
    else:
        changes = tuple(
            _change(c, f"{where}, change {n}") for n, c in enumerate(raw.get("change", ()), 1)
        )
    if kind != "wheat" and not changes:
        raise CatalogueError(f"{where}: a {kind} must change something")
    return Implementation(
        kind=kind,
        name=name,
        title=str(raw.get("title", "")),
        level=level,
        hint=str(raw.get("hint", "")),
        detail=str(raw.get("detail", "")),
        rule=str(raw.get("rule", "")),
        belief=str(raw.get("belief", "")),
        changes=changes,
        exercises=names(raw, "exercises", where),
        weight=positive(raw, "weight", 1.0, where),
    )


def _change(raw: Any, where: str) -> Change:
    if not isinstance(raw, dict) or set(raw) - {"file", "find", "replace", "count", "in"}:
        raise CatalogueError(
            f"{where}: a change has file, find, replace and (optional) count and in"
        )
    try:
        return Change(
            str(raw["file"]),
            str(raw["find"]),
            str(raw["replace"]),
            int(raw.get("count", 1)),
            str(raw.get("in", "")),
        )
    except KeyError as missing:
        raise CatalogueError(f"{where}: missing {missing}") from None


@dataclass(frozen=True)
class CatalogueFile:
    """One catalogue file as read: its entries and the exercises it declares."""

    path: Path
    implementations: tuple[Implementation, ...]
    exercises: tuple[Exercise, ...]


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file as data; :class:`CatalogueError` naming the file on any flaw."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"{path}: not a readable TOML {what} ({error})") from None
    return data


def read_file(path: Path, *, private: bool = False) -> CatalogueFile:
    """Read one catalogue file; raise :class:`CatalogueError` naming the file on any flaw."""
    data = read_toml(path, "catalogue")
    extra = set(data) - {*KINDS, "exercise"}
    if extra:
        raise CatalogueError(f"{path}: unknown table(s) {', '.join(sorted(extra))}")
    found: list[Implementation] = []
    known: dict[str, Implementation] = {}
    for kind in KINDS:
        for number, raw in enumerate(data.get(kind, ()), start=1):
            entry = _entry(kind, raw, f"{path.name}: {kind} {number}", known)
            if private:
                entry = replace(entry, private=True)
            known[entry.name] = entry
            found.append(entry)
    exercises = tuple(
        parse_exercise(raw, f"{path.name}: exercise {number}")
        for number, raw in enumerate(data.get("exercise", ()), start=1)
    )
    return CatalogueFile(path, tuple(found), exercises)


def read(path: Path) -> list[Implementation]:
    """The entries of one catalogue file (see :func:`read_file` for its exercises too)."""
    return list(read_file(path).implementations)


def load(
    extra: Iterable[Path] = (),
    *,
    private: Iterable[Path] = (),
    shipped: bool = True,
    exercises: Sequence[Exercise] = (),
) -> Catalogue:
    """The kit's catalogue plus the entries of ``extra`` files (a teacher's own bugs).

    Entries of ``private`` files are marked private (graded in the batch, never shown or
    handed out). ``exercises`` are declared outside any catalogue (a course's
    ``course.toml``). Names must be unique across all files, and so must exercise ids.
    The first wheat is the reference: the one whose verdicts decide, and which is run first.
    """
    kit = [read_file(SHIPPED)] if shipped else []
    teachers = [read_file(Path(p)) for p in extra]
    secret = [read_file(Path(p), private=True) for p in private]
    files = [*kit, *teachers, *secret]
    entries = [entry for file in files for entry in file.implementations]
    uses: dict[str, int] = {}
    for entry in entries:
        uses[entry.name] = uses.get(entry.name, 0) + 1
    twice = sorted(n for n, count in uses.items() if count > 1)
    if twice:
        raise CatalogueError(f"implementation name(s) used twice: {', '.join(twice)}")
    wheats = [e for e in entries if e.kind == "wheat"]
    if not wheats:
        raise CatalogueError("a catalogue needs at least one wheat (the correct implementation)")
    course = [(f"the course ({e.id})", e) for e in exercises]
    known = declared(
        [(f.path.name, e) for f in kit for e in f.exercises]
        + course
        + [(f.path.name, e) for f in (*teachers, *secret) for e in f.exercises]
    )
    own = [e.id for f in (*teachers, *secret) for e in f.exercises] + [e.id for e in exercises]
    kits = [e.id for f in kit for e in f.exercises]
    resolved = []
    for file in files:
        home = tuple(e.id for e in file.exercises) or tuple(own) or tuple(kits)
        for entry in file.implementations:
            resolved.append(_resolved(entry, home, known, file.path))
    order = {kind: n for n, kind in enumerate(KINDS)}
    ordered = sorted(resolved, key=lambda e: order[e.kind])
    return Catalogue(tuple(ordered), tuple(f.path for f in files), known)


def _resolved(
    entry: Implementation, home: tuple[str, ...], known: Mapping[str, Exercise], path: Path
) -> Implementation:
    """``entry`` with the exercises it grades; its unknown exercise ids an error."""
    for exercise_id in entry.exercises:
        if exercise_id not in known:
            raise CatalogueError(
                f"{path.name} ({entry.kind} {entry.name!r}): exercises names "
                f"{exercise_id!r}, which no file declares; known: {', '.join(known)}"
            )
    if entry.kind != "chaff":
        return entry
    grades = assign(Entry(entry.name, entry.level, entry.exercises, home), known)
    return replace(entry, grades=grades)


EXERCISES: dict[str, Exercise] = {e.id: e for e in read_file(SHIPPED).exercises}
"""The kit's own exercises, as its ``bugs.toml`` declares them."""


def check_applies(catalogue: Catalogue) -> list[str]:
    """Every entry's changes applied to the source: a list of problems (empty when fine)."""
    problems = []
    for implementation in catalogue.implementations:
        try:
            implementation.sources()
        except CatalogueError as error:
            problems.append(str(error))
    return problems
