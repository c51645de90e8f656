"""The classroom tools' own errors, rooted in the kit's one hierarchy (:class:`OrderkitError`)."""

from __future__ import annotations

from orderkit.errors import OrderkitError


class ClassroomError(OrderkitError):
    """A classroom tool (check, release, grade, bugs) was given something it cannot use."""
