"""Errors of grading itself: the grader failed, not the student's tests."""

from __future__ import annotations

from orderkit.classroom.errors import ClassroomError


class GradingError(ClassroomError):
    """Grading could not be done: the grader itself failed, not the student's tests."""
