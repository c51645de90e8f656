"""Errors of a teacher's tools before class: a notebook that cannot be released safely."""

from __future__ import annotations

from orderkit.classroom.errors import ClassroomError


class ReleaseError(ClassroomError, ValueError):
    """An instructor notebook that cannot be turned into a student version safely."""
