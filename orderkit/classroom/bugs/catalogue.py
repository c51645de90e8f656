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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from orderkit.classroom.bugs.errors import CatalogueError, UnknownExercise
from orderkit.classroom.bugs.kitpatch import Change, compiled, patched_sources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Kind = Literal["wheat", "chaff", "misconception"]
Level = Literal["unit", "integration", "database", "concurrency"]
"""The lowest kind of test that catches a bug.

* ``unit``: one service alone (the other one replaced by a test double, if needed);
* ``integration``: the two real services together;
* ``database``: a real SQLite file, often closed and reopened;
* ``concurrency``: several threads or processes ordering at once.
"""
LEVELS: tuple[Level, ...] = ("unit", "integration", "database", "concurrency")
KINDS: tuple[Kind, ...] = ("wheat", "chaff", "misconception")
SHIPPED = Path(__file__).with_name("bugs.toml")
_KEYS = {"name", "title", "level", "hint", "detail", "belief", "change", "same_as", "exercises"}


@dataclass(frozen=True)
class Implementation:
    """One implementation of the kit: the correct source plus ``changes``."""

    kind: Kind
    name: str
    title: str = ""
    level: Level = "unit"
    hint: str = ""
    detail: str = ""  # wheats: the unspecified detail this one does differently
    belief: str = ""  # misconceptions: the wrong belief a test passing here encodes
    changes: tuple[Change, ...] = ()
    exercises: tuple[str, ...] = ()  # empty: every exercise whose levels include `level`

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
class Exercise:
    """An exercise notebook's id, title and the levels of bug its tests must catch."""

    id: str
    title: str
    levels: tuple[Level, ...]


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


@dataclass(frozen=True)
class Catalogue:
    """Every implementation, in file order: wheats first, the reference wheat first of all."""

    implementations: tuple[Implementation, ...]
    files: tuple[Path, ...] = field(default=())

    def of_kind(self, kind: Kind) -> tuple[Implementation, ...]:
        return tuple(i for i in self.implementations if i.kind == kind)

    def for_exercise(self, exercise_id: str | None) -> Catalogue:
        """The wheats, the misconceptions and the chaffs that grade ``exercise_id``."""
        if exercise_id is None:
            return self
        levels = exercise(exercise_id).levels

        def belongs(implementation: Implementation) -> bool:
            if implementation.exercises:
                return exercise_id in implementation.exercises or exercise_id == "all"
            return implementation.kind != "chaff" or implementation.level in levels

        return Catalogue(tuple(filter(belongs, self.implementations)), self.files)

    def named(self, name: str) -> Implementation:
        for implementation in self.implementations:
            if implementation.name == name:
                return implementation
        raise CatalogueError(f"no implementation named {name!r} in the catalogue")


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
    for exercise_id in raw.get("exercises", ()):
        exercise(exercise_id)
    return Implementation(
        kind=kind,
        name=name,
        title=str(raw.get("title", "")),
        level=level,
        hint=str(raw.get("hint", "")),
        detail=str(raw.get("detail", "")),
        belief=str(raw.get("belief", "")),
        changes=changes,
        exercises=tuple(raw.get("exercises", ())),
    )


def _change(raw: Any, where: str) -> Change:
    if not isinstance(raw, dict) or set(raw) - {"file", "find", "replace", "count"}:
        raise CatalogueError(f"{where}: a change has file, find, replace and (optional) count")
    try:
        return Change(
            str(raw["file"]), str(raw["find"]), str(raw["replace"]), int(raw.get("count", 1))
        )
    except KeyError as missing:
        raise CatalogueError(f"{where}: missing {missing}") from None


def read(path: Path) -> list[Implementation]:
    """Read one catalogue file; raise :class:`CatalogueError` naming the file on any flaw."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"{path}: not a readable TOML catalogue ({error})") from None
    extra = set(data) - set(KINDS)
    if extra:
        raise CatalogueError(f"{path}: unknown table(s) {', '.join(sorted(extra))}")
    found: list[Implementation] = []
    known: dict[str, Implementation] = {}
    for kind in KINDS:
        for number, raw in enumerate(data.get(kind, ()), start=1):
            entry = _entry(kind, raw, f"{path.name}: {kind} {number}", known)
            known[entry.name] = entry
            found.append(entry)
    return found


def load(extra: Iterable[Path] = (), *, shipped: bool = True) -> Catalogue:
    """The kit's catalogue plus the entries of ``extra`` files (a teacher's own bugs).

    Names must be unique across all files. The first wheat is the reference: the one
    whose verdicts decide, and which is run first.
    """
    files = ([SHIPPED] if shipped else []) + [Path(p) for p in extra]
    entries: list[Implementation] = []
    for path in files:
        entries += read(path)
    names: dict[str, int] = {}
    for entry in entries:
        names[entry.name] = names.get(entry.name, 0) + 1
    twice = sorted(n for n, count in names.items() if count > 1)
    if twice:
        raise CatalogueError(f"implementation name(s) used twice: {', '.join(twice)}")
    wheats = [e for e in entries if e.kind == "wheat"]
    if not wheats:
        raise CatalogueError("a catalogue needs at least one wheat (the correct implementation)")
    order = {kind: n for n, kind in enumerate(KINDS)}
    ordered = sorted(entries, key=lambda e: order[e.kind])
    return Catalogue(tuple(ordered), tuple(files))


def check_applies(catalogue: Catalogue) -> list[str]:
    """Every entry's changes applied to the source: a list of problems (empty when fine)."""
    problems = []
    for implementation in catalogue.implementations:
        try:
            implementation.sources()
        except CatalogueError as error:
            problems.append(str(error))
    return problems
