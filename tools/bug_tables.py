"""Render the bug catalogue's tables into docs/teacher/bugs.md, from the catalogue itself.

The teacher's page lists the wheats, chaffs and misconceptions of ``bugs.toml``. Written by
hand, those tables drift from the data; here they are rendered from the catalogue as the
kit loads it (``orderkit.classroom.load()``) and written between marker comments, so the
prose around them stays hand-written:

    <!-- BEGIN bug_tables.py chaffs -->
    ...rendered, never edit by hand...
    <!-- END bug_tables.py chaffs -->

Run ``.venv/bin/python tools/bug_tables.py`` after changing the catalogue (it rewrites the
page), or ``--check`` to only compare (exit status 1 when the page is stale).
``tests/unit/test_docs.py`` runs the same comparison.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from orderkit.classroom import Catalogue, Implementation, load

PAGE = Path(__file__).resolve().parents[1] / "docs" / "teacher" / "bugs.md"
COMMAND = ".venv/bin/python tools/bug_tables.py"
_MARKER = re.compile(
    r"(<!-- BEGIN bug_tables\.py (?P<name>[a-z]+) -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- END bug_tables\.py (?P=name) -->)",
    re.DOTALL,
)


class StaleTables(ValueError):
    """The page's markers are missing or unpaired, so the tables cannot be placed."""


def _cell(text: str) -> str:
    """Text as one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|") or " "


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _graded_in(catalogue: Catalogue, implementation: Implementation) -> str:
    """The exercises whose grading includes ``implementation`` ("all" left out: it has all)."""
    ids = [
        exercise_id
        for exercise_id in catalogue.exercises
        if exercise_id != "all"
        and implementation in catalogue.for_exercise(exercise_id).implementations
    ]
    return ", ".join(f"`{i}`" for i in ids)


def _wheats(catalogue: Catalogue) -> str:
    return _table(
        ["wheat", "what it does differently", "a test that fails here relied on"],
        [
            (f"`{w.name}`", w.title, w.detail or "(the reference: decides every verdict)")
            for w in catalogue.of_kind("wheat")
        ],
    )


def _changes(implementation: Implementation) -> str:
    """Where an entry changes the kit: ``file: function``, each place once."""
    places = [f"{c.file}: {c.within}" if c.within else c.file for c in implementation.changes]
    return ", ".join(f"`{p}`" for p in dict.fromkeys(places))


def _chaffs(catalogue: Catalogue) -> str:
    return _table(
        [
            "chaff",
            "level",
            "graded in",
            "what is wrong (its title)",
            "hint shown before",
            "changes",
        ],
        [
            (f"`{c.name}`", c.level, _graded_in(catalogue, c), c.title, c.hint, _changes(c))
            for c in catalogue.of_kind("chaff")
        ],
    )


def _named_by(catalogue: Catalogue, exercise_id: str) -> list[str]:
    """The chaffs that name ``exercise_id`` in their own ``exercises = [...]``."""
    named = [c for c in catalogue.of_kind("chaff") if exercise_id in c.exercises]
    return [f'its own {len(named)} chaffs (`exercises = ["{exercise_id}"]`)'] if named else []


def _exercises(catalogue: Catalogue) -> str:
    return _table(
        ["exercise", "title", "graded by", "points"],
        [
            (
                f"`{e.id}`",
                e.title,
                ", ".join(
                    [f"{level} chaffs" for level in e.levels]
                    + [f"`{b}`" if b != "*" else "every chaff" for b in e.bugs]
                    + _named_by(catalogue, e.id)
                ),
                f"{e.points:g}",
            )
            for e in catalogue.exercises.values()
        ],
    )


def _misconceptions(catalogue: Catalogue) -> str:
    return _table(
        ["misconception", "a test that fails on correct code but passes here..."],
        [(f"`{m.name}`", m.belief) for m in catalogue.of_kind("misconception")],
    )


TABLES: dict[str, Callable[[Catalogue], str]] = {
    "exercises": _exercises,
    "wheats": _wheats,
    "chaffs": _chaffs,
    "misconceptions": _misconceptions,
}


def render(page: str, catalogue: Catalogue) -> str:
    """``page`` with every table between its markers rendered afresh from ``catalogue``.

    Every table of :data:`TABLES` must have exactly one marker pair; anything else raises
    :class:`StaleTables` naming the table, so a lost marker is never a silent no-op.
    """
    found = [m.group("name") for m in _MARKER.finditer(page)]
    for name in TABLES:
        if found.count(name) != 1:
            raise StaleTables(
                f"expected one '<!-- BEGIN bug_tables.py {name} -->' ... "
                f"'<!-- END bug_tables.py {name} -->' pair, found {found.count(name)}"
            )
    unknown = sorted(set(found) - set(TABLES))
    if unknown:
        raise StaleTables(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(TABLES)}")

    def fresh(match: re.Match[str]) -> str:
        return match.group(1) + TABLES[match.group("name")](catalogue) + match.group(4)

    return _MARKER.sub(fresh, page)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the page (or, with ``--check``, only compare); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--page", type=Path, default=PAGE, help="default: %(default)s")
    parser.add_argument("--check", action="store_true", help="compare only; 1 when stale")
    args = parser.parse_args(argv)
    page = args.page.read_text(encoding="utf-8")
    try:
        wanted = render(page, load())
    except StaleTables as error:
        print(f"{args.page}: {error}", file=sys.stderr)
        return 2
    if wanted == page:
        print(f"{args.page}: the bug tables match the catalogue")
        return 0
    if args.check:
        print(f"{args.page}: the bug tables differ from the catalogue; run {COMMAND}")
        return 1
    args.page.write_text(wanted, encoding="utf-8")
    print(f"{args.page}: bug tables rewritten from the catalogue")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
