"""Per-student feedback pages: what check() shows, and never a bug the student did not catch."""

from __future__ import annotations

import html
import json
import random
from importlib import resources
from pathlib import Path

import jsonschema

from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.bugs.catalogue import load
from orderkit.classroom.grading.results import ChaffResult, CheckResult, Verdict
from orderkit.classroom.report.feedback import write_feedback
from tests.classroom.sample_class import sample_class

SCHEMA = json.loads(
    resources.files("orderkit.classroom.grading")
    .joinpath("feedback.schema.json")
    .read_text(encoding="utf-8")
)


def _class_on_the_kits_catalogue() -> list[Grade]:
    """Twenty students, each catching a random part of the kit's real bugs."""
    chaffs = load().of_kind("chaff")
    rng = random.Random(19)
    grades = []
    for n in range(20):
        caught = {c.name for c in chaffs if rng.random() < 0.5}
        result = CheckResult(
            (Verdict("test_a", "valid"), Verdict("test_b", "fails", "fails on correct code: X")),
            tuple(
                ChaffResult(
                    c.name, c.title, c.level, c.hint, ("test_a",) if c.name in caught else ()
                )
                for c in chaffs
            ),
            exercise="all",
        )
        path = f"/class/s{n}.ipynb"
        grades.append(Grade(f"s{n}", path, path, result, exercise="all", max_points=20))
    return grades


def test_no_page_shows_a_bug_the_student_did_not_catch_nor_any_bugs_change(
    tmp_path: Path,
) -> None:
    catalogue = {c.name: c for c in load().of_kind("chaff")}
    grades = _class_on_the_kits_catalogue()

    folder = write_feedback(grades, tmp_path)

    for grade in grades:
        assert grade.result is not None
        for suffix in (".html", ".json"):
            text = (folder / f"{grade.slug}{suffix}").read_text(encoding="utf-8")
            text = html.unescape(text) if suffix == ".html" else json.dumps(json.loads(text))
            for chaff in grade.result.chaffs:
                bug = catalogue[chaff.name]
                title = bug.title if suffix == ".html" else json.dumps(bug.title)[1:-1]
                assert (title in text) == chaff.caught, (grade.student, bug.name)
                assert f'"{bug.name}"' not in text
                for change in bug.changes:  # a change that deletes lines adds no text
                    assert not change.replace.strip() or change.replace.strip() not in text


def test_every_feedback_json_follows_its_schema_and_gives_points(tmp_path: Path) -> None:
    grades = [*_class_on_the_kits_catalogue()[:3], *sample_class()]

    folder = write_feedback(grades, tmp_path)

    for grade in grades:
        data = json.loads((folder / f"{grade.slug}.json").read_text(encoding="utf-8"))
        jsonschema.validate(data, SCHEMA)
        assert data["student"]["name"] == grade.student
        if grade.graded:
            assert data["score"]["points"] == grade.points
        else:
            assert data["status"] == "could not be graded"
            assert grade.notes in (folder / f"{grade.slug}.html").read_text(encoding="utf-8")


def test_a_page_is_self_contained_and_escapes_names(tmp_path: Path) -> None:
    folder = write_feedback(sample_class(), tmp_path)

    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower()
        assert "http:" not in text
        assert "https:" not in text
        assert "src=" not in text


def test_pages_of_students_no_longer_graded_are_removed(tmp_path: Path) -> None:
    everyone = sample_class()
    write_feedback(everyone, tmp_path)

    folder = write_feedback(everyone[:2], tmp_path)

    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{g.slug}{s}" for g in everyone[:2] for s in (".html", ".json")
    )
