"""The catalogue is data: wheats, chaffs and misconceptions in TOML, checked loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderkit.classroom import load
from orderkit.classroom.bugs.catalogue import LEVELS, check_applies
from orderkit.classroom.bugs.errors import CatalogueError, UnknownExercise
from tests.classroom.cli import run_orderkit

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "classroom" / "source").glob("*.ipynb"))


def test_the_shipped_catalogue_has_wheats_chaffs_of_every_level_and_misconceptions() -> None:
    catalogue = load()

    assert len(catalogue.of_kind("wheat")) >= 2
    assert {c.level for c in catalogue.of_kind("chaff")} == set(LEVELS)
    assert len(catalogue.of_kind("misconception")) >= 3
    assert all(w.detail for w in catalogue.of_kind("wheat")[1:])
    assert check_applies(catalogue) == []


def test_each_exercise_gets_the_chaffs_of_its_levels_and_every_wheat_not_limited() -> None:
    unit = load().for_exercise("unit-tests")
    everywhere = tuple(w for w in load().of_kind("wheat") if not w.exercises)

    assert {c.level for c in unit.of_kind("chaff")} == {"unit"}
    assert unit.of_kind("wheat") == everywhere
    assert load().for_exercise("test-doubles").of_kind("wheat")[: len(everywhere)] == everywhere
    test_first = load().for_exercise("test-first")
    assert {c.name for c in test_first.of_kind("chaff")} == {
        c.name for c in load().of_kind("chaff") if c.exercises == ("test-first",)
    }
    assert "cancel-messages" in {w.name for w in test_first.of_kind("wheat")}
    with pytest.raises(UnknownExercise):
        load().for_exercise("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[chaff]]\nname = 'x'\nlevel = 'unit'\nhint = 'h'\n", "needs a title and a hint"),
        (
            "[[chaff]]\nname = 'x'\ntitle = 't'\nhint = 'h'\nlevel = 'cosmic'\n",
            "level must be one of",
        ),
        ("[[chaff]]\nname = 'x'\ntitle = 't'\nhint = 'h'\n", "must change something"),
        (
            "[[chaff]]\nname = 'off-by-one'\ntitle = 't'\nhint = 'h'\nsame_as = 'off-by-one'\n",
            "not defined before",
        ),
        ("[[misconception]]\nname = 'y'\nsame_as = 'nope'\nbelief = 'b'\n", "not defined before"),
        ("[[bug]]\nname = 'z'\n", "unknown table"),
        ("[[chaff]]\nname = 'x'\ncolour = 'red'\n", "unknown key"),
        ("this is = = not toml", "not a readable TOML"),
    ],
)
def test_a_flawed_catalogue_file_is_a_clear_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CatalogueError, match=message) as error:
        load([path])
    assert "mine.toml" in str(error.value) or "off-by-one" in str(error.value)


def test_a_name_used_twice_across_files_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[[wheat]]\nname = 'reference'\n", encoding="utf-8")

    with pytest.raises(CatalogueError, match="used twice: reference"):
        load([path])


@pytest.mark.slow
def test_bugs_check_passes_the_shipped_catalogue_with_the_reference_solutions() -> None:
    args = [a for s in SOLUTIONS for a in ("--solution", str(s))]

    done = run_orderkit("bugs", "check", *args)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "(unit-tests): caught 10 of 10" in done.stdout
    assert "(integration-tests): caught 6 of 6" in done.stdout
    assert "(test-doubles): caught 7 of 7" in done.stdout
    assert "(database): caught 6 of 6" in done.stdout
    assert "(properties): caught 5 of 5" in done.stdout
    assert "(test-first): caught 8 of 8" in done.stdout
    assert done.stdout.rstrip().endswith("catalogue OK")


@pytest.mark.slow
def test_bugs_check_finds_a_chaff_that_changes_nothing_and_one_that_no_longer_applies(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        """
[[chaff]]
name = "only-a-comment"
title = "Changes a comment"
level = "unit"
hint = "none"
[[chaff.change]]
file = "inventory.py"
find = "# the extra read costs a query on SQLite; skip it when unheard"
replace = "# nothing"
""",
        encoding="utf-8",
    )
    args = ["--solution", str(SOLUTIONS[0]), "--bugs", str(path)]

    done = run_orderkit("bugs", "check", *args)

    assert done.returncode == 1
    assert "chaff 'only-a-comment' is not caught" in done.stderr

    path.write_text(path.read_text().replace("skip it when unheard", "not there any more"))
    done = run_orderkit("bugs", "check", *args)
    assert done.returncode == 1
    assert "occurs 0 time(s) in inventory.py" in done.stderr
