"""Errors of a teacher's tools before class: a notebook that cannot be released safely."""

from __future__ import annotations

from orderkit.classroom.errors import ClassroomError


class ReleaseError(ClassroomError, ValueError):
    """An instructor notebook that cannot be turned into a student version safely."""


class OutputsError(ClassroomError, RuntimeError):
    """A notebook whose outputs could not be stored: a cell failed, or it is not a notebook."""
