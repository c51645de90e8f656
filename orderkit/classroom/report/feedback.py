"""One feedback page per student: what ``check()`` would have shown them, safe to send.

``orderkit grade`` writes ``feedback/<student>.html`` and the JSON behind it,
``feedback/<student>.json`` (schema: ``orderkit/classroom/grading/feedback.schema.json``),
for every row of the class. Each page is self-contained (no script, no file loaded from
anywhere) and holds only :func:`orderkit.classroom.grading.student_view.student_view`'s data:
caught bugs by title, missed ones only by level and hint, hidden bugs as counts, tests not
valid with why, misconceptions named. A teacher can mail or upload the pages as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orderkit.classroom.batch.gradebook import Grade
from orderkit.classroom.bugs.catalogue import EXERCISES, Exercise
from orderkit.classroom.grading.results import CheckResult
from orderkit.classroom.grading.student_view import student_view

FOLDER = "feedback"


def exercise_title(exercise: str | None, known: Mapping[str, Exercise] | None = None) -> str:
    """An exercise's title as students know it (its id when it has none)."""
    found = (EXERCISES if known is None else known).get(exercise or "")
    return found.title if found else exercise or "All bugs"


def feedback_data(grade: Grade, known: Mapping[str, Exercise] | None = None) -> dict[str, Any]:
    """The student's data of ``grade``: :func:`student_view` and who, when, by what.

    ``known`` are the exercises (a course's); the kit's when not given.
    """
    title = exercise_title(grade.exercise, known)
    result = grade.result or CheckResult(exercise=grade.exercise)
    data = student_view(result, max_points=grade.max_points, title=title)
    data["student"] = {
        "name": grade.student,
        **({"id": grade.student_id} if grade.student_id else {}),
    }
    data["status"] = "graded" if grade.graded else "could not be graded"
    if not grade.graded:
        data["reason"] = grade.notes or "could not be graded"
        data["summary"] = f"Your notebook could not be graded: {data['reason']}"
    data["late"] = grade.late
    data["grading"] = {"graded_at": grade.graded_at, "graded_by": grade.graded_by}
    return data


def render(data: dict[str, Any]) -> str:
    """The page of one student's data."""
    from orderkit.classroom.report.page import environment

    return str(environment().get_template("feedback.html").render(data=data))


def write_feedback(
    grades: Sequence[Grade], out: Path, known: Mapping[str, Exercise] | None = None
) -> Path:
    """``out/feedback/``: a page and its JSON per row; pages of rows no longer there go."""
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for grade in grades:
        data = feedback_data(grade, known)
        (folder / f"{grade.slug}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        (folder / f"{grade.slug}.html").write_text(render(data), encoding="utf-8")
        keep |= {f"{grade.slug}.json", f"{grade.slug}.html"}
    for old in folder.iterdir():
        if old.is_file() and old.name not in keep:
            old.unlink()
    return folder
