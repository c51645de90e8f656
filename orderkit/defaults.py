"""Defaults shared by the kit's layers, each written once.

Here, not in ``orderkit.classroom.defaults``, when a module outside the classroom needs one
too: importing the classroom package in a notebook starts tracking its cells, which a
learner's widget must not set off.
"""

TEST_TIMEOUT = 10.0
"""Seconds one test a learner wrote may run before the kit stops it and reports it.

The same limit for a light of :class:`orderkit.lights.TestLights` and for one test on one
implementation in ``check()`` and the grader.
"""
